/**
 * One local "container" of a Lambda function: a worker thread with the function's own environment, which
 * imports the handler module once (so module-level clients and caches behave as in Lambda) and serves
 * invocations posted by the parent.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

interface WorkerInit {
  readonly root: string;
  readonly entry: string;
  readonly handler: string;
  readonly functionName: string;
  readonly memoryMb: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const init = workerData as WorkerInit;
const port = parentPort!;

const mod = (await import(pathToFileURL(resolve(init.root, init.entry)).href)) as Record<string, unknown>;
const handler = mod[init.handler];
if (typeof handler !== 'function') {
  throw new Error(`${init.entry} does not export a function named ${init.handler}`);
}

port.on('message', async (msg: { id: number; event: unknown; deadline: number }) => {
  const awsRequestId = randomUUID();
  const context = {
    awsRequestId,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${init.functionName}`,
    memoryLimitInMB: String(init.memoryMb),
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
  };
  try {
    const result = await (handler as Handler)(msg.event, context);
    port.postMessage({ id: msg.id, ok: true, result });
  } catch (error) {
    const e = error as Error;
    port.postMessage({
      id: msg.id,
      ok: false,
      error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) },
    });
  }
});
port.postMessage({ ready: true });
