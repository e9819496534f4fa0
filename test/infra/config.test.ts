import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadStageConfig, stackName } from '../../lib/config.ts';

const ctx = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('loadStageConfig', () => {
  it('defaults to dev, timestream and IAM auth, env-agnostic without CDK_DEFAULT_*', () => {
    // Prepare / Act
    const config = loadStageConfig(ctx({}), {});

    // Assess
    expect(config.stage).toBe('dev');
    expect(config.seriesStore).toBe('timestream');
    expect(config.apiAuth).toBe('iam');
    expect(config.env).toEqual({ account: undefined, region: undefined });
    expect(config.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(config.ingest.batchSize).toBe(100);
    expect(config.ingest.retryAttempts).toBe(3);
    expect(config.ingest.streamRetention.toHours()).toBe(24);
  });

  it('reads account and region from CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION', () => {
    const config = loadStageConfig(ctx({}), {
      CDK_DEFAULT_ACCOUNT: '123456789012',
      CDK_DEFAULT_REGION: 'eu-west-1',
    });

    expect(config.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('selects DynamoDB with seriesStore=dynamodb', () => {
    expect(loadStageConfig(ctx({ seriesStore: 'dynamodb' }), {}).seriesStore).toBe('dynamodb');
  });

  it('gives prod retained resources, 10 retries, 168 h stream retention and the lake lifecycle', () => {
    const config = loadStageConfig(ctx({ stage: 'prod' }), {});

    expect(config.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(config.ingest.retryAttempts).toBe(10);
    expect(config.ingest.streamRetention.toHours()).toBe(168);
    expect(config.lake).toMatchObject({
      eventsInfrequentAccessAfterDays: 30,
      eventsGlacierInstantRetrievalAfterDays: 90,
      eventsExpireAfterDays: 730,
      quarantineExpireAfterDays: 90,
      tmpExpireAfterDays: 7,
    });
    expect(config.timestream).toEqual({ memoryStoreRetentionHours: 24, magneticStoreRetentionDays: 365 });
    // A record must be able to reach the DLQ before the stream drops it.
    expect(config.ingest.maxRecordAge.toSeconds()).toBeLessThan(config.ingest.streamRetention.toSeconds());
  });

  it('rejects an unknown seriesStore naming the flag and the allowed values', () => {
    expect(() => loadStageConfig(ctx({ seriesStore: 'influx' }), {})).toThrow(
      /"seriesStore" must be one of 'timestream', 'dynamodb'; got "influx"/,
    );
  });

  it('rejects an unknown stage', () => {
    expect(() => loadStageConfig(ctx({ stage: 'staging' }), {})).toThrow(
      /"stage" must be one of 'dev', 'prod'/,
    );
  });

  it("allows apiAuth 'none' in dev only", () => {
    expect(loadStageConfig(ctx({ apiAuth: 'none' }), {}).apiAuth).toBe('none');
    expect(() => loadStageConfig(ctx({ stage: 'prod', apiAuth: 'none' }), {})).toThrow(
      /"apiAuth" may be 'none' only with stage 'dev'/,
    );
  });

  it("keeps every stage's lake transitions ordered and before expiry", () => {
    for (const stage of ['dev', 'prod']) {
      const { lake } = loadStageConfig(ctx({ stage }), {});
      expect(lake.eventsInfrequentAccessAfterDays).toBeLessThan(lake.eventsGlacierInstantRetrievalAfterDays);
      expect(lake.eventsGlacierInstantRetrievalAfterDays).toBeLessThan(lake.eventsExpireAfterDays);
    }
  });

  it('names stacks AllUse-<stage>-<concern>', () => {
    expect(stackName('prod', 'Storage')).toBe('AllUse-prod-Storage');
  });
});
