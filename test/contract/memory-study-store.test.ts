/** InMemoryStudyStore against the study store contract. */
import { InMemoryStudyStore } from '../../src/core/optimise/store-memory.ts';
import { describeStudyStoreContract } from './study-store.contract.ts';

describeStudyStoreContract('in memory', async () => new InMemoryStudyStore());
