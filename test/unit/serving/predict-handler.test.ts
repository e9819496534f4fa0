/**
 * functions/api/predict.ts against dynalite (registry) and s3rver (artifact, prediction log): the status codes
 * and the record in the lake.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../../scripts/local/emulators.ts';
import { type Clients, createClients } from '../../../src/adapters/clients.ts';
import { DynamoDbModelRegistry } from '../../../src/adapters/dynamodb-model-registry.ts';
import { listLakeRecords } from '../../../src/adapters/s3-lake.ts';
import { createTablesForTest } from '../../support/dynamodb-tables.ts';
import { artifactBytes, linearModel, MOVE, sha256 } from './helpers.ts';

let emulators: Emulators;
let clients: Clients;
let handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;
const BUCKET = 'predict-handler-lake';

beforeAll(async () => {
  emulators = await startEmulators();
  Object.assign(process.env, emulators.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  clients = createClients(emulators.env);
  const tables = await createTablesForTest(clients.dynamodb, 'predict');
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const bytes = artifactBytes(linearModel());
  await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/wm/1.json', Body: bytes }));
  const registry = new DynamoDbModelRegistry({ client: clients.dynamodb, tableName: tables.documents });
  await registry.registerVersion('week-movement', {
    artifactUri: `s3://${BUCKET}/models/wm/1.json`,
    artifactSha256: sha256(bytes),
    algorithm: 'linear_regression',
    params: {},
    metrics: {},
    datasetFingerprint: 'd',
    codeVersion: 'c',
  });
  await registry.setAlias('week-movement', 'champion', 1, MOVE);
  process.env.DOCUMENTS_TABLE_NAME = tables.documents;
  process.env.LAKE_BUCKET_NAME = BUCKET;
  ({ handler } = (await import('../../../functions/api/predict.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  await emulators?.stop();
});

function post(name: string, body: unknown) {
  return handler(
    {
      routeKey: 'POST /v1/models/{name}/predict',
      pathParameters: { name },
      body: JSON.stringify(body),
      isBase64Encoded: false,
    },
    { awsRequestId: 'test-request' },
  );
}

describe('POST /v1/models/{name}/predict', () => {
  it('answers 200 and writes the prediction record to the lake', async () => {
    // Act
    const result = await post('week-movement', { instances: [[1, 1]] });

    // Assess
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body as string);
    expect(body.model).toEqual({ name: 'week-movement', version: 1, alias: 'champion', host: 'lambda' });
    expect(body.predictions[0]).toBeCloseTo(6, 9);
    const objects = await listLakeRecords(clients.s3, BUCKET, 'events/type=prediction/');
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key).toMatch(new RegExp(`/${body.predictionId}\\.jsonl\\.gz$`));
    expect(JSON.parse(objects[0]?.lines[0] as string)).toMatchObject({
      id: body.predictionId,
      type: 'prediction',
      data: { instances: [[1, 1]], outputs: { predictions: body.predictions } },
    });
  });

  it('answers 400 naming the row, and 404 naming the alias', async () => {
    // Act
    const bad = await post('week-movement', { instances: [[1, 2, 3]] });
    const missing = await post('week-movement', { instances: [[1, 2]], alias: 'challenger' });

    // Assess
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body as string)).toEqual({
      message: 'invalid predict request: instances[0] has 3 features; model week-movement v1 expects 2',
      errors: [
        {
          path: 'instances[0]',
          rule: 'features',
          message: 'instances[0] has 3 features; model week-movement v1 expects 2',
        },
      ],
    });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body as string).message).toBe('model week-movement has no alias challenger');
  });
});
