/** The in-memory store (used by the ingest benchmark and core unit tests) must honour the same contract. */
import { InMemorySeriesStore } from '../../src/adapters/memory.ts';
import { describeSeriesStoreContract } from './series-store.contract.ts';

describeSeriesStoreContract('in-memory', async () => new InMemorySeriesStore());
