import { Aws, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { CfnDatabase as CfnGlueDatabase, CfnTable as CfnGlueTable } from 'aws-cdk-lib/aws-glue';
import { type Bucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import {
  CfnDatabase as CfnTimestreamDatabase,
  CfnTable as CfnTimestreamTable,
} from 'aws-cdk-lib/aws-timestream';
import type { Construct } from 'constructs';
import { DOCUMENTS_TABLE, SERIES_TABLE } from '../../src/adapters/tables.ts';
import type { StageConfig } from '../config.ts';
import { acknowledge } from '../constructs/nag.ts';
import { SecureBucket } from '../constructs/secure-bucket.ts';

/**
 * Key prefixes of the lake. events/, quarantine/, predictions/ and tmp/ have their own lifecycle rules;
 * models/ (artifacts), datasets/ (training snapshots, the lineage of every model version) and reference/
 * (prices, VIX and other inputs users upload) are kept.
 */
export const LAKE_PREFIXES = {
  events: 'events/',
  quarantine: 'quarantine/',
  predictions: 'predictions/',
  tmp: 'tmp/',
  models: 'models/',
  datasets: 'datasets/',
  reference: 'reference/',
} as const;

/** The time-series store the stage selected (`seriesStore` context flag). */
export type SeriesStoreResources =
  | { readonly kind: 'dynamodb'; readonly table: Table }
  | {
      readonly kind: 'timestream';
      readonly database: CfnTimestreamDatabase;
      readonly table: CfnTimestreamTable;
    };

export interface StorageStackProps extends StackProps {
  readonly config: StageConfig;
  /**
   * Event types to enumerate in the lake table's partition projection. When empty, `type` is an injected
   * projection and every Athena query must filter on `type = '...'`.
   * @default - injected
   */
  readonly lakeEventTypes?: readonly string[];
}

/**
 * State: the S3 lake (source of truth for raw events), the documents table, the selected time-series store,
 * and the Glue catalogue table that lets Athena query the lake without a crawler.
 */
export class StorageStack extends Stack {
  public readonly lake: Bucket;
  public readonly documentsTable: Table;
  public readonly seriesStore: SeriesStoreResources;
  public readonly glueDatabase: CfnGlueDatabase;
  public readonly eventsGlueTable: CfnGlueTable;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const lake = config.lake;

    this.lake = new SecureBucket(this, 'Lake', {
      removalPolicy: config.removalPolicy,
      noncurrentVersionExpireAfterDays: lake.noncurrentVersionExpireAfterDays,
      lifecycle: [
        {
          prefix: LAKE_PREFIXES.events,
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, afterDays: lake.eventsInfrequentAccessAfterDays },
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              afterDays: lake.eventsGlacierInstantRetrievalAfterDays,
            },
          ],
          expireAfterDays: lake.eventsExpireAfterDays,
        },
        { prefix: LAKE_PREFIXES.quarantine, expireAfterDays: lake.quarantineExpireAfterDays },
        { prefix: LAKE_PREFIXES.predictions, expireAfterDays: lake.predictionsExpireAfterDays },
        { prefix: LAKE_PREFIXES.tmp, expireAfterDays: lake.tmpExpireAfterDays },
      ],
    }).bucket;

    this.documentsTable = this.table('DocumentsTable', config);
    this.documentsTable.addGlobalSecondaryIndex({
      indexName: DOCUMENTS_TABLE.byKindIndex.name,
      partitionKey: { name: DOCUMENTS_TABLE.byKindIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: DOCUMENTS_TABLE.byKindIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.seriesStore =
      config.seriesStore === 'dynamodb'
        ? { kind: 'dynamodb', table: this.table('SeriesTable', config) }
        : this.timestream(config);

    [this.glueDatabase, this.eventsGlueTable] = this.lakeCatalogue(config, props.lakeEventTypes ?? []);
  }

  private table(id: string, config: StageConfig): Table {
    return new Table(this, id, {
      partitionKey: { name: SERIES_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: SERIES_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: SERIES_TABLE.ttlAttribute,
      deletionProtection: config.stage === 'prod',
      removalPolicy: config.removalPolicy,
    });
  }

  private timestream(config: StageConfig): SeriesStoreResources {
    const database = new CfnTimestreamDatabase(this, 'TimestreamDatabase');
    const table = new CfnTimestreamTable(this, 'TimestreamTable', {
      databaseName: database.ref,
      retentionProperties: {
        MemoryStoreRetentionPeriodInHours: String(config.timestream.memoryStoreRetentionHours),
        MagneticStoreRetentionPeriodInDays: String(config.timestream.magneticStoreRetentionDays),
      },
      // Redriven or late records can be older than the memory store window.
      magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
    table.node.addDependency(database);
    database.applyRemovalPolicy(config.removalPolicy);
    table.applyRemovalPolicy(config.removalPolicy);
    acknowledge(
      database,
      'AwsSolutions-TS3',
      'Encrypted at rest with the AWS managed key; raw events stay in the S3 lake, the store holds derived metrics.',
    );
    return { kind: 'timestream', database, table };
  }

  private lakeCatalogue(config: StageConfig, eventTypes: readonly string[]): [CfnGlueDatabase, CfnGlueTable] {
    const databaseName = `all_use_${config.stage}_lake`;
    const database = new CfnGlueDatabase(this, 'LakeDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: 'ALL-USE learning lake (raw events, gzip JSON Lines)',
      },
    });
    const eventsLocation = `s3://${this.lake.bucketName}/${LAKE_PREFIXES.events}`;
    const typeProjection: Record<string, string> =
      eventTypes.length > 0
        ? { 'projection.type.type': 'enum', 'projection.type.values': eventTypes.join(',') }
        : { 'projection.type.type': 'injected' };
    const table = new CfnGlueTable(this, 'EventsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: 'events',
        description: 'Validated event envelopes, one JSON object per line, partitioned by type/day/hour',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          ...typeProjection,
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2025-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena projection placeholders, not JS.
          'storage.location.template': Fn.join('', [eventsLocation, 'type=${type}/dt=${dt}/hour=${hour}/']),
        },
        // `type` is a partition key, so it is not repeated among the columns (Glue/Athena reject duplicates).
        partitionKeys: [
          { name: 'type', type: 'string' },
          { name: 'dt', type: 'string' },
          { name: 'hour', type: 'string' },
        ],
        storageDescriptor: {
          location: eventsLocation,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            // The OpenX SerDe hands nested JSON (`data`) to a string column as its JSON text.
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'true' },
          },
          columns: [
            { name: 'version', type: 'string' },
            { name: 'id', type: 'string' },
            { name: 'source', type: 'string' },
            { name: 'time', type: 'string' },
            { name: 'data', type: 'string', comment: 'event payload as JSON text' },
          ],
        },
      },
    });
    table.node.addDependency(database);
    if (config.removalPolicy === RemovalPolicy.RETAIN) database.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return [database, table];
  }
}
