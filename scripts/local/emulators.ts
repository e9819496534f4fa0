/**
 * Starts the AWS emulators in this process: kinesalite (Kinesis), dynalite (DynamoDB) and s3rver (S3),
 * bound to 127.0.0.1 only, on random free ports by default. Code reaches them through the returned `env`
 * (the standard AWS_ENDPOINT_URL_<SERVICE> variables), exactly as it would reach LocalStack or AWS.
 *
 * @example
 * const emulators = await startEmulators();
 * const clients = createClients({ ...process.env, ...emulators.env });
 * // ...
 * await emulators.stop();
 */

import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

// The three emulators are CommonJS without type declarations: describe the little we use.
type EmulatorServerFactory = (options: Record<string, unknown>) => Server;
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/** Credentials every emulator accepts (s3rver insists on exactly these). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const EMULATOR_REGION = 'us-east-1';

export interface EmulatorOptions {
  /** Only loopback: the emulators have no authentication. */
  readonly host?: '127.0.0.1';
  /** Fixed ports; 0 (the default) picks a free port. */
  readonly ports?: { readonly kinesis?: number; readonly dynamodb?: number; readonly s3?: number };
  /** Where s3rver keeps objects; a fresh temporary directory (removed on stop) by default. */
  readonly s3Directory?: string;
}

export interface Emulators {
  readonly endpoints: { readonly kinesis: string; readonly dynamodb: string; readonly s3: string };
  /** AWS_ENDPOINT_URL_KINESIS/_DYNAMODB/_S3, the emulator credentials and AWS_REGION. */
  readonly env: Record<string, string>;
  /** Stops all three and removes the temporary S3 directory (a directory passed in is kept). */
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/** Starts kinesalite, dynalite and s3rver; see {@link Emulators}. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const host = options.host ?? '127.0.0.1';
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stopOne of stoppers.splice(0).reverse()) {
      await stopOne().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the emulators failed');
  };

  try {
    const kinesalite = require('kinesalite') as EmulatorServerFactory;
    // Zero delays: streams and tables are ACTIVE at once, so tests and `npm start` never wait on them.
    const kinesisServer = kinesalite({
      createStreamMs: 0,
      deleteStreamMs: 0,
      updateStreamMs: 0,
      shardLimit: 100,
    });
    const kinesisPort = await listen(kinesisServer, options.ports?.kinesis ?? 0, host);
    stoppers.push(() => close(kinesisServer));

    const dynalite = require('dynalite') as EmulatorServerFactory;
    const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamoServer, options.ports?.dynamodb ?? 0, host);
    stoppers.push(() => close(dynamoServer));

    const ownsDirectory = options.s3Directory === undefined;
    const directory = options.s3Directory ?? (await mkdtemp(join(tmpdir(), 'all-use-s3rver-')));
    if (ownsDirectory) stoppers.push(() => rm(directory, { recursive: true, force: true }));
    const S3rver = require('s3rver') as S3rverClass;
    const s3rver = new S3rver({ address: host, port: options.ports?.s3 ?? 0, silent: true, directory });
    const s3Address = await s3rver.run();
    stoppers.push(() => s3rver.close());

    const endpoints = {
      kinesis: `http://${host}:${kinesisPort}`,
      dynamodb: `http://${host}:${dynamoPort}`,
      s3: `http://${host}:${s3Address.port}`,
    };
    return {
      endpoints,
      env: {
        AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        AWS_REGION: EMULATOR_REGION,
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * Creates a table and waits until it is ACTIVE. dynalite (like DynamoDB) answers CreateTable at once but
 * flips the table to ACTIVE on a timer; a write before that fails with ResourceNotFoundException, which
 * a loaded machine makes likely.
 */
export async function createTableAndWait(
  dynamodb: DynamoDBClient,
  input: CreateTableCommandInput,
  timeoutMs = 30_000,
): Promise<void> {
  await dynamodb.send(new CreateTableCommand(input));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${input.TableName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
