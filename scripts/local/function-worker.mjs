// Worker bootstrap: registers tsx so the worker can import the TypeScript handler directly.
import { register } from 'tsx/esm/api';

register();
await import('./function-worker.ts');
