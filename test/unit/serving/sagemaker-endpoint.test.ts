/** SageMakerEndpoint through aws-sdk-client-mock (SageMaker has no emulator): request, parsing, error mapping. */
import {
  InternalFailure,
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSageMakerRuntimeClient } from '../../../src/adapters/clients.ts';
import { parseEndpointBody, SageMakerEndpoint } from '../../../src/adapters/sagemaker-endpoint.ts';
import { EndpointError } from '../../../src/core/serving/index.ts';

const sagemaker = mockClient(SageMakerRuntimeClient);
const encode = (text: string) => new TextEncoder().encode(text);
const meta = { $metadata: {} };

afterEach(() => {
  sagemaker.reset();
});

function endpoint() {
  return new SageMakerEndpoint({ client: new SageMakerRuntimeClient({ region: 'us-east-1' }) });
}

async function endpointError(promise: Promise<unknown>): Promise<EndpointError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EndpointError);
    return error as EndpointError;
  }
  throw new Error('expected an EndpointError');
}

const signal = () => new AbortController().signal;

describe('SageMakerEndpoint', () => {
  it('sends the instances as JSON and reads {predictions}', async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves({
      Body: encode('{"predictions": [0.25, 1.5]}') as never,
      ContentType: 'application/json',
    });

    // Act
    const output = await endpoint().invoke(
      'wm-prod',
      [
        [1, 2],
        [3, 4],
      ],
      { signal: signal() },
    );

    // Assess
    expect(output).toEqual({ predictions: [0.25, 1.5] });
    const input = sagemaker.commandCalls(InvokeEndpointCommand)[0]?.args[0].input;
    expect(input?.EndpointName).toBe('wm-prod');
    expect(input?.ContentType).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(input?.Body as Uint8Array))).toEqual({
      instances: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it('reads a CSV body, one value per instance', async () => {
    // Prepare
    sagemaker
      .on(InvokeEndpointCommand)
      .resolves({ Body: encode('0.1\n0.9\n') as never, ContentType: 'text/csv' });

    // Act
    const output = await endpoint().invoke('wm-prod', [[1], [2]], { signal: signal() });

    // Assess
    expect(output).toEqual({ predictions: [0.1, 0.9] });
  });

  it('maps throttling, 5xx and ModelNotReady to transient errors; validation and model 4xx to permanent', async () => {
    // Prepare
    const cases: [Error, boolean, string][] = [
      [new InternalFailure({ message: 'boom', ...meta }), true, 'server'],
      [
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
        true,
        'throttled',
      ],
      [
        Object.assign(new Error('slow down'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }),
        true,
        'server',
      ],
      [
        Object.assign(new Error('not ready'), { name: 'ModelNotReadyException', $metadata: {} }),
        true,
        'server',
      ],
      [new ValidationError({ message: 'no such endpoint', ...meta }), false, 'client'],
      [new ModelError({ message: 'bad input', OriginalStatusCode: 400, ...meta }), false, 'client'],
      [new ModelError({ message: 'busy', OriginalStatusCode: 503, ...meta }), true, 'throttled'],
    ];

    // Act
    const mapped: [boolean, string][] = [];
    for (const [error] of cases) {
      sagemaker.reset();
      sagemaker.on(InvokeEndpointCommand).rejects(error);
      const e = await endpointError(endpoint().invoke('wm-prod', [[1]], { signal: signal() }));
      mapped.push([e.transient, e.reason]);
      expect(e.message.startsWith('endpoint wm-prod')).toBe(true);
    }

    // Assess
    expect(mapped).toEqual(cases.map(([, transient, reason]) => [transient, reason]));
  });

  it('turns an aborted call (the predictor timeout) into a transient timeout error', async () => {
    // Prepare
    const controller = new AbortController();
    sagemaker.on(InvokeEndpointCommand).callsFake(async () => {
      controller.abort();
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    // Act
    const e = await endpointError(endpoint().invoke('wm-prod', [[1]], { signal: controller.signal }));

    // Assess
    expect([e.transient, e.reason]).toEqual([true, 'timeout']);
  });

  it('refuses a body with the wrong number of predictions, as a permanent response error', async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves({ Body: encode('{"predictions": [1]}') as never });

    // Act
    const e = await endpointError(endpoint().invoke('wm-prod', [[1], [2]], { signal: signal() }));

    // Assess
    expect(e).toMatchObject({ transient: false, reason: 'response' });
    expect(e.message).toBe('endpoint wm-prod answered badly: 1 predictions for 2 instances');
  });

  it('builds a one-attempt client that honours AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME', async () => {
    // Act
    const client = createSageMakerRuntimeClient({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: 'http://127.0.0.1:9999',
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
    });

    // Assess
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.maxAttempts()).toBe(1);
    const endpointUrl = await client.config.endpoint?.();
    expect(endpointUrl?.hostname).toBe('127.0.0.1');
    expect(endpointUrl?.port).toBe(9999);
    client.destroy();
  });
});

describe('parseEndpointBody', () => {
  it('reads the formats of the built-in containers', () => {
    // Act / Assess
    expect(parseEndpointBody('[1, 2]', undefined, 2, 'e')).toEqual({ predictions: [1, 2] });
    expect(parseEndpointBody('{"predictions": [[0.5], [1.5]]}', 'application/json', 2, 'e')).toEqual({
      predictions: [0.5, 1.5],
    });
    expect(
      parseEndpointBody(
        '{"predictions": [{"score": 0.3}, {"predicted_label": 1, "score": 0.8}]}',
        'application/json',
        2,
        'e',
      ),
    ).toEqual({ predictions: [0.3, 1] });
    expect(
      parseEndpointBody(
        '{"predictions": [[0.2, 0.8], [0.9, 0.1]], "classes": [3, 7]}',
        'application/json',
        2,
        'e',
      ),
    ).toEqual({
      predictions: [7, 3],
      probabilities: [
        [0.2, 0.8],
        [0.9, 0.1],
      ],
      classes: [3, 7],
    });
    expect(parseEndpointBody('0.1,0.2,0.3', 'text/csv', 3, 'e')).toEqual({ predictions: [0.1, 0.2, 0.3] });
  });

  it('names what is wrong with a bad body', () => {
    // Act / Assess
    expect(() => parseEndpointBody('{"predictions": [[0.2, 0.8]]}', 'application/json', 1, 'e')).toThrow(
      'endpoint e answered badly: predictions[0] is a row of 2 scores but no matching classes array',
    );
    expect(() => parseEndpointBody('{"result": 1}', 'application/json', 1, 'e')).toThrow(
      'JSON body has no predictions array',
    );
    expect(() => parseEndpointBody('0.1,abc', 'text/csv', 2, 'e')).toThrow(
      'CSV value 1 (abc) is not a number',
    );
    expect(() => parseEndpointBody('{"predictions": [', 'application/json', 1, 'e')).toThrow(
      'body is not JSON',
    );
  });
});
