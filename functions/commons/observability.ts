/** One logger and one metrics emitter per container, configured by the POWERTOOLS_* environment variables. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger();
export const metrics = new Metrics({ defaultDimensions: { stage: process.env.STAGE ?? 'local' } });
