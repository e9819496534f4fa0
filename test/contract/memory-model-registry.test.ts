/** InMemoryModelRegistry against the model registry contract. */
import { InMemoryModelRegistry } from '../../src/core/registry/memory.ts';
import { describeModelRegistryContract, steppingClock } from './model-registry.contract.ts';

describeModelRegistryContract('in memory', async () => new InMemoryModelRegistry({ now: steppingClock() }));
