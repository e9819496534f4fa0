/** The client factory: endpoints from the environment, and the emulator-specific options they switch on. */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import {
  createClients,
  createKinesisClient,
  createS3Client,
  endpointFor,
  regionFrom,
} from '../../src/adapters/clients.ts';

describe('endpointFor', () => {
  it('prefers the service variable, then the global one, like the SDK', () => {
    // Prepare
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:2' };

    // Act / Assess
    expect(endpointFor('dynamodb', env)).toBe('http://127.0.0.1:2');
    expect(endpointFor('s3', env)).toBe('http://127.0.0.1:1');
    expect(endpointFor('timestreamWrite', { AWS_ENDPOINT_URL_TIMESTREAM_WRITE: 'http://127.0.0.1:3' })).toBe(
      'http://127.0.0.1:3',
    );
    expect(endpointFor('kinesis', {})).toBeUndefined();
  });

  it('ignores configured endpoints when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true', () => {
    expect(
      endpointFor('s3', {
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBe(undefined);
  });
});

describe('regionFrom', () => {
  it('reads AWS_REGION, then AWS_DEFAULT_REGION, and defaults to us-east-1', () => {
    expect(regionFrom({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-central-1' })).toBe('eu-west-1');
    expect(regionFrom({ AWS_DEFAULT_REGION: 'eu-central-1' })).toBe('eu-central-1');
    expect(regionFrom({})).toBe('us-east-1');
  });
});

describe('emulator options', () => {
  const env = {
    AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4567',
    AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };

  it('gives Kinesis an HTTP/1.1 handler only when an endpoint is set', () => {
    // Act
    const local = createKinesisClient(env);
    const aws = createKinesisClient({ AWS_REGION: 'eu-west-1' });

    // Assess
    expect(local.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    expect(aws.config.requestHandler).not.toBeInstanceOf(NodeHttpHandler);
  });

  it('makes S3 path-style with checksums only when required when an endpoint is set', async () => {
    // Act
    const local = createS3Client(env);
    const aws = createS3Client({ AWS_REGION: 'eu-west-1' });

    // Assess
    expect(local.config.forcePathStyle).toBe(true);
    expect(await local.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await local.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(aws.config.forcePathStyle).toBe(false);
    expect(await local.config.credentials()).toMatchObject({
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
  });
});

describe('createClients', () => {
  it('creates each client once, on first use', () => {
    // Prepare
    const clients = createClients({ AWS_REGION: 'eu-west-1' });

    // Act
    const first = clients.dynamodb;
    const second = clients.dynamodb;

    // Assess
    expect(first).toBe(second);
    expect(clients.s3).not.toBe(createClients({ AWS_REGION: 'eu-west-1' }).s3);
  });
});
