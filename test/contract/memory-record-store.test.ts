import { MemoryRecordStore } from '../../src/core/workflows/records.ts';
import { describeRecordStoreContract } from './record-store.contract.ts';

describeRecordStoreContract('memory', async () => new MemoryRecordStore());
