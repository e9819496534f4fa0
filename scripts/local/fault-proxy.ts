/**
 * A fault-injecting HTTP proxy in front of an emulator, for tests and drills: requests pass through
 * unchanged unless a rule matches (by target operation and body text), in which case the proxy answers
 * with the service's own error shape (e.g. DynamoDB's ProvisionedThroughputExceededException), so the
 * real SDK's retry logic and the real adapters' error mapping are exercised.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
  /** X-Amz-Target suffix to match, e.g. `UpdateItem`, `PutItem`; any when absent. */
  readonly operation?: string;
  /** Matches when the request body contains this text. */
  readonly bodyIncludes?: string;
  /** How many matching requests to fail; Infinity for always. */
  readonly times: number;
  readonly status: number;
  readonly errorType: string;
  readonly message?: string;
}

export interface FaultProxy {
  readonly url: string;
  /** Matching requests answered with a fault so far, per rule index. */
  readonly injected: number[];
  addRule(rule: FaultRule): void;
  clear(): void;
  stop(): Promise<void>;
}

export const DYNAMODB_THROTTLE = {
  status: 400,
  errorType: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded (injected)',
} as const;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const rules: { rule: FaultRule; left: number }[] = [];
  const injected: number[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const hit = rules.findIndex(
        ({ rule, left }) =>
          left > 0 &&
          (!rule.operation || rule.operation === operation) &&
          (!rule.bodyIncludes || text.includes(rule.bodyIncludes)),
      );
      if (hit !== -1) {
        const r = rules[hit]!;
        r.left--;
        injected[hit] = (injected[hit] ?? 0) + 1;
        res.writeHead(r.rule.status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': r.rule.errorType.split('#').pop()!,
        });
        res.end(JSON.stringify({ __type: r.rule.errorType, message: r.rule.message ?? 'injected fault' }));
        return;
      }
      const proxied = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      proxied.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      proxied.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    addRule(rule) {
      rules.push({ rule, left: rule.times });
      injected.push(0);
    },
    clear() {
      rules.length = 0;
      injected.length = 0;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
