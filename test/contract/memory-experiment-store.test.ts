/** The in-memory ExperimentStore honours the same contract as the DynamoDB adapter. */
import { InMemoryExperimentStore } from '../../src/core/experiments/memory.ts';
import { describeExperimentStoreContract } from './experiment-store.contract.ts';

describeExperimentStoreContract('in-memory', async (clock) => new InMemoryExperimentStore(clock));
