import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  functionLogicalId,
  type SynthesizedApp,
  statementsOf,
  synthLearningApp,
} from './helpers.ts';

let dev: SynthesizedApp;
let prodDynamo: SynthesizedApp;

beforeAll(() => {
  dev = synthLearningApp({ seriesStore: 'timestream' });
  prodDynamo = synthLearningApp({ stage: 'prod', seriesStore: 'dynamodb' });
});

const flat = (value: unknown): string => JSON.stringify(value);

describe('events stream', () => {
  it('is KMS-encrypted with the shard count and 24 h retention of dev', () => {
    dev.templates.ingestion.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('keeps records 168 h in prod', () => {
    prodDynamo.templates.ingestion.hasResourceProperties('AWS::Kinesis::Stream', {
      RetentionPeriodHours: 168,
      StreamEncryption: Match.objectLike({ EncryptionType: 'KMS' }),
    });
  });
});

describe('ingest event source mapping', () => {
  it('reports item failures, bisects, bounds retries and sends exhausted records to the DLQ', () => {
    const { ingestion } = dev.stacks;
    const dlqId = ingestion.getLogicalId(ingestion.deadLetterQueue.node.defaultChild as never);

    dev.templates.ingestion.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
      FunctionName: { Ref: functionLogicalId(ingestion, ingestion.ingestFunction) },
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: Match.anyValue(),
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it('retries 10 times in prod', () => {
    prodDynamo.templates.ingestion.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
    });
  });
});

describe('dead-letter queue', () => {
  it('is encrypted and refuses non-TLS requests', () => {
    const template = dev.templates.ingestion;

    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: 'alias/aws/sqs' });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('feeds the redrive function with per-message failure reporting', () => {
    const { ingestion } = dev.stacks;
    const dlqId = ingestion.getLogicalId(ingestion.deadLetterQueue.node.defaultChild as never);

    dev.templates.ingestion.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(ingestion, ingestion.redriveFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('ingest function', () => {
  it('gets the environment of the selected store (timestream)', () => {
    const { ingestion } = dev.stacks;
    const fn =
      dev.templates.ingestion.findResources('AWS::Lambda::Function')[
        functionLogicalId(ingestion, ingestion.ingestFunction)
      ];
    const vars = fn?.Properties.Environment.Variables;

    expect(Object.keys(vars).sort()).toEqual(
      [
        'DOCUMENTS_TABLE_NAME',
        'LAKE_BUCKET_NAME',
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'SERIES_STORE',
        'STAGE',
        'TIMESTREAM_DATABASE',
        'TIMESTREAM_TABLE',
      ].sort(),
    );
    expect(vars).toMatchObject({
      STAGE: 'dev',
      SERIES_STORE: 'timestream',
      POWERTOOLS_SERVICE_NAME: 'ingest',
      POWERTOOLS_METRICS_NAMESPACE: 'AllUse/Learning',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('gets SERIES_TABLE_NAME and no Timestream variables with dynamodb', () => {
    const { ingestion } = prodDynamo.stacks;
    const vars =
      prodDynamo.templates.ingestion.findResources('AWS::Lambda::Function')[
        functionLogicalId(ingestion, ingestion.ingestFunction)
      ]?.Properties.Environment.Variables;

    expect(vars).toMatchObject({
      SERIES_STORE: 'dynamodb',
      SERIES_TABLE_NAME: expect.anything(),
      STAGE: 'prod',
    });
    expect(vars).not.toHaveProperty('TIMESTREAM_DATABASE');
  });

  it('may write the lake under events/ and quarantine/ only', () => {
    const { ingestion } = dev.stacks;
    const s3 = statementsOf(dev.templates.ingestion, ingestion, ingestion.ingestFunction).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('s3:')),
    );

    expect(actionsOf(s3).sort()).toEqual(
      ['s3:AbortMultipartUpload', 's3:AbortMultipartUpload', 's3:PutObject', 's3:PutObject'].sort(),
    );
    expect(s3.map((s) => flat(s.Resource).match(/"(\/[a-z]+\/\*)"/)?.[1]).sort()).toEqual([
      '/events/*',
      '/quarantine/*',
    ]);
  });

  it('may write Timestream records on its table, with DescribeEndpoints the only action on *', () => {
    const { ingestion } = dev.stacks;
    const statements = statementsOf(dev.templates.ingestion, ingestion, ingestion.ingestFunction);

    const write = statements.find((s) => actionsOf([s]).includes('timestream:WriteRecords'));
    expect(flat(write?.Resource)).toMatch(/TimestreamTable/);
    const star = actionsOf(statements.filter((s) => s.Resource === '*')).sort();
    expect(star).toEqual([
      'timestream:DescribeEndpoints',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('may read and write the documents and series tables (dynamodb), but not delete, scan or drop tables', () => {
    const { ingestion } = prodDynamo.stacks;
    const statements = statementsOf(prodDynamo.templates.ingestion, ingestion, ingestion.ingestFunction);
    const dynamo = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));

    expect(dynamo.map((s) => flat(s.Resource))).toEqual([
      expect.stringMatching(/DocumentsTable/),
      expect.stringMatching(/SeriesTable/),
    ]);
    expect(actionsOf(dynamo)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actionsOf(dynamo)).not.toContain('dynamodb:Scan');
    expect(actionsOf(dynamo)).not.toContain('dynamodb:DeleteItem');
    expect(actionsOf(dynamo)).not.toContain('dynamodb:DeleteTable');
    expect(actionsOf(statements)).not.toContain('timestream:WriteRecords');
  });
});

describe('redrive function', () => {
  it('reads the stream, writes the same stores as ingest for its final attempt, and cannot put records', () => {
    const { ingestion } = dev.stacks;
    const statements = statementsOf(dev.templates.ingestion, ingestion, ingestion.redriveFunction);
    const actions = actionsOf(statements);

    expect(actions).toEqual(expect.arrayContaining(['kinesis:GetShardIterator', 'kinesis:GetRecords']));
    expect(actions).not.toContain('kinesis:PutRecords');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
    expect(actions).not.toContain('dynamodb:DeleteItem');
    const s3 = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(actionsOf(s3).every((a) => a.startsWith('s3:Put') || a.startsWith('s3:Abort'))).toBe(true);
    const resources = s3.map((s) => flat(s.Resource)).join(' ');
    expect(resources).toMatch(/"\/quarantine\/\*"/);
    expect(resources).toMatch(/"\/events\/\*"/);
  });

  it('parks a failure pointer whose redrive keeps failing in its own encrypted queue', () => {
    const template = dev.templates.ingestion;
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestParked'), 'Arn'] },
      },
      KmsMasterKeyId: 'alias/aws/sqs',
    });
  });
});
