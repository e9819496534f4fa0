/** Local Lambda functions: one worker thread per function, restarted after a crash or a timeout. */
import { Worker } from 'node:worker_threads';

export interface FunctionSpec {
  readonly name: string;
  readonly entry: string;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** What Lambda reports when an invocation fails: the function's error, a timeout, or a crash. */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  /** Lambda's `errorType`: the thrown error's name, `Sandbox.Timedout`, or `Runtime.ExitError`. */
  readonly errorType: string;
  constructor(
    readonly functionName: string,
    readonly kind: 'Unhandled' | 'Timeout' | 'Crash',
    readonly errorMessage: string,
    errorType?: string,
  ) {
    super(`${functionName}: ${kind}: ${errorType ? `${errorType}: ` : ''}${errorMessage}`);
    this.errorType =
      errorType ??
      (kind === 'Timeout' ? 'Sandbox.Timedout' : kind === 'Crash' ? 'Runtime.ExitError' : 'Error');
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class LocalFunction {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  invocations = 0;
  errors = 0;
  /** Wall-clock time spent inside invocations (overlapping ones counted each), for benchmarks. */
  busyMs = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly root: string,
    private readonly baseEnv: Record<string, string>,
    /** Where the container's stdout/stderr go (its "CloudWatch log group"); inherited when absent. */
    private readonly logSink?: NodeJS.WritableStream,
  ) {}

  private start(): Promise<void> {
    const worker = new Worker(new URL('./function-worker.mjs', import.meta.url), {
      env: { ...this.baseEnv, ...this.spec.environment, AWS_LAMBDA_FUNCTION_NAME: this.spec.name },
      workerData: {
        root: this.root,
        entry: this.spec.entry,
        handler: this.spec.handler,
        functionName: this.spec.name,
        memoryMb: this.spec.memoryMb,
      },
      stdout: this.logSink !== undefined,
      stderr: this.logSink !== undefined,
    });
    if (this.logSink) {
      worker.stdout.pipe(this.logSink, { end: false });
      worker.stderr.pipe(this.logSink, { end: false });
    }
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const onReady = (msg: { ready?: boolean }) => {
        if (msg.ready) {
          worker.off('message', onReady);
          resolve();
        }
      };
      worker.on('message', onReady);
      worker.once('error', reject);
    });
    worker.on(
      'message',
      (msg: { id?: number; ok?: boolean; result?: unknown; error?: { name: string; message: string } }) => {
        if (msg.id === undefined) return;
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.result);
        else
          p.reject(
            new FunctionError(
              this.spec.name,
              'Unhandled',
              String(msg.error?.message),
              String(msg.error?.name ?? 'Error'),
            ),
          );
      },
    );
    worker.on('error', (error) => this.crash(worker, `worker error: ${error.message}`));
    worker.on('exit', (code) => this.crash(worker, `container exited with code ${code}`));
    return this.ready;
  }

  private crash(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new FunctionError(this.spec.name, 'Crash', reason));
      this.pending.delete(id);
    }
  }

  /** Invokes the handler like Lambda's synchronous Invoke: resolves with its result or rejects with a FunctionError. */
  async invoke(event: unknown): Promise<unknown> {
    this.invocations++;
    const started = performance.now();
    if (!this.worker) await this.start();
    await this.ready;
    const worker = this.worker!;
    const id = this.nextId++;
    const deadline = Date.now() + this.spec.timeoutSeconds * 1000;
    try {
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(
            new FunctionError(this.spec.name, 'Timeout', `timed out after ${this.spec.timeoutSeconds} s`),
          );
          // Lambda discards a timed-out container; so do we.
          this.crash(worker, 'timed out');
          void worker.terminate();
        }, this.spec.timeoutSeconds * 1000);
        this.pending.set(id, { resolve, reject, timer });
        worker.postMessage({ id, event, deadline });
      });
    } catch (error) {
      this.errors++;
      throw error;
    } finally {
      this.busyMs += performance.now() - started;
    }
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
