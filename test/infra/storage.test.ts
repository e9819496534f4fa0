import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTS_TABLE, TABLE_KEYS } from '../../src/adapters/tables.ts';
import { type SynthesizedApp, synthLearningApp } from './helpers.ts';

let timestream: SynthesizedApp;
let dynamodb: SynthesizedApp;
let prod: SynthesizedApp;

beforeAll(() => {
  timestream = synthLearningApp({ seriesStore: 'timestream' });
  dynamodb = synthLearningApp({ seriesStore: 'dynamodb' });
  prod = synthLearningApp({ stage: 'prod', seriesStore: 'dynamodb' });
});

describe('lake bucket', () => {
  it('is encrypted, versioned, owner-enforced, private and logs access to a logs bucket', () => {
    const template = timestream.templates.storage;

    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'lake/' },
    });
  });

  it('denies every non-TLS request on both buckets', () => {
    const policies = timestream.templates.storage.findResources('AWS::S3::BucketPolicy');

    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('has lifecycle rules by prefix (prod: events IA 30, Glacier IR 90, expire 730; quarantine 90; tmp 7)', () => {
    prod.templates.storage.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        // arrayWith keeps order: the whole-bucket hygiene rule comes first.
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({
            Prefix: 'events/',
            Status: 'Enabled',
            ExpirationInDays: 730,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
          }),
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'predictions/', ExpirationInDays: Match.anyValue() }),
          Match.objectLike({ Prefix: 'tmp/', ExpirationInDays: 7 }),
        ]),
      },
    });
  });

  it('is retained in prod and deleted with the stack in dev', () => {
    prod.templates.storage.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
    });
    timestream.templates.storage.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
    });
  });
});

describe('documents table', () => {
  it('uses the shared key schema and the byKind index from src/adapters/tables.ts', () => {
    timestream.templates.storage.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: DOCUMENTS_TABLE.byKindIndex.name,
          KeySchema: [
            { AttributeName: DOCUMENTS_TABLE.byKindIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: DOCUMENTS_TABLE.byKindIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    });
  });

  it('every table is on demand, with point-in-time recovery and server-side encryption', () => {
    for (const app of [timestream, dynamodb, prod]) {
      const tables = app.templates.storage.findResources('AWS::DynamoDB::Table');
      expect(Object.keys(tables).length).toBeGreaterThan(0);
      for (const table of Object.values(tables)) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        });
      }
    }
  });

  it('is retained with deletion protection in prod', () => {
    prod.templates.storage.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });
});

describe('time-series store selection', () => {
  it('timestream: a database and a table with 24 h memory and 365 d magnetic retention, no series table', () => {
    const template = timestream.templates.storage;

    template.resourceCountIs('AWS::Timestream::Database', 1);
    template.hasResourceProperties('AWS::Timestream::Table', {
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: '24',
        MagneticStoreRetentionPeriodInDays: '365',
      },
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(timestream.stacks.storage.seriesStore.kind).toBe('timestream');
  });

  it('dynamodb: a series table and no Timestream resources', () => {
    const template = dynamodb.templates.storage;

    template.resourceCountIs('AWS::Timestream::Database', 0);
    template.resourceCountIs('AWS::Timestream::Table', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const series = dynamodb.stacks.storage.seriesStore;
    expect(series.kind).toBe('dynamodb');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: Match.absent(),
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    });
  });
});

describe('Athena catalogue over the lake', () => {
  it('declares the events table as gzip JSON with partition projection over type/dt/hour', () => {
    const template = timestream.templates.storage;

    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: 'events',
        TableType: 'EXTERNAL_TABLE',
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          compressionType: 'gzip',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'projection.type.type': 'injected',
          'storage.location.template': {
            'Fn::Join': [
              '',
              Match.arrayWith([
                Match.stringLikeRegexp('events/type=\\$\\{type\\}/dt=\\$\\{dt\\}/hour=\\$\\{hour\\}/$'),
              ]),
            ],
          },
        }),
        PartitionKeys: [
          { Name: 'type', Type: 'string' },
          { Name: 'dt', Type: 'string' },
          { Name: 'hour', Type: 'string' },
        ],
        StorageDescriptor: Match.objectLike({
          Location: { 'Fn::Join': ['', Match.arrayWith(['s3://', '/events/'])] },
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
          Columns: [
            { Name: 'version', Type: 'string' },
            { Name: 'id', Type: 'string' },
            { Name: 'source', Type: 'string' },
            { Name: 'time', Type: 'string' },
            Match.objectLike({ Name: 'data', Type: 'string' }),
          ],
        }),
      },
    });
  });
});
