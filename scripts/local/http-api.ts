/**
 * The local HTTP API: routes come from the synthesized AWS::ApiGatewayV2::Route resources, each invoking
 * its Lambda integration's real handler with an API Gateway payload-format-2.0 event.
 * IAM (SigV4) authorisation is not verified locally: the server binds 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StackTemplate } from './assembly.ts';
import type { LocalFunction } from './functions.ts';

export interface LocalRoute {
  readonly method: string;
  readonly path: string;
  readonly routeKey: string;
  readonly authorization: string;
  readonly functionLogicalId: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

/** Finds the first `{ Ref: X }` or `{ 'Fn::GetAtt': [X, ...] }` inside an intrinsic. */
function referencedId(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  if (typeof obj.Ref === 'string') return obj.Ref;
  if (Array.isArray(obj['Fn::GetAtt'])) return String(obj['Fn::GetAtt'][0]);
  for (const v of Array.isArray(value) ? value : Object.values(obj)) {
    const id = referencedId(v);
    if (id) return id;
  }
  return undefined;
}

/** Reads the HTTP API routes and their Lambda integrations from the templates. */
export function routesFromTemplates(
  stacks: readonly StackTemplate[],
): (LocalRoute & { stackName: string })[] {
  const routes: (LocalRoute & { stackName: string })[] = [];
  for (const { stackName, template } of stacks) {
    for (const res of Object.values(template.Resources)) {
      if (res.Type !== 'AWS::ApiGatewayV2::Route') continue;
      const routeKey = String(res.Properties?.RouteKey);
      const [method, path] = routeKey.split(' ') as [string, string];
      const integrationId = referencedId(res.Properties?.Target);
      const integration = integrationId ? template.Resources[integrationId] : undefined;
      const functionLogicalId = referencedId(integration?.Properties?.IntegrationUri);
      if (!functionLogicalId) throw new Error(`local runtime: route ${routeKey} has no Lambda integration`);
      const params: string[] = [];
      const pattern = new RegExp(
        `^${path.replace(/\{([^}+]+)(\+?)\}/g, (_, name: string, greedy: string) => {
          params.push(name);
          return greedy ? '(.+)' : '([^/]+)';
        })}$`,
      );
      routes.push({
        stackName,
        method,
        path,
        routeKey,
        authorization: String(res.Properties?.AuthorizationType ?? 'NONE'),
        functionLogicalId,
        pattern,
        params,
      });
    }
  }
  return routes;
}

const MAX_BODY = 10 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('payload too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

export async function startHttpApi(options: {
  readonly routes: readonly LocalRoute[];
  readonly functionFor: (route: LocalRoute) => LocalFunction;
  readonly port: number;
  readonly host?: string;
  /** Local-only routes (under /local/), answered before the template's routes. */
  readonly localRoutes?: (
    method: string,
    path: string,
  ) => Promise<{ status: number; body: unknown } | undefined>;
}): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      const url = new URL(req.url ?? '/', `http://${host}`);
      const method = req.method ?? 'GET';
      if (url.pathname.startsWith('/local/') && options.localRoutes) {
        const local = await options.localRoutes(method, url.pathname);
        if (local) {
          send(res, local.status, JSON.stringify(local.body));
          return;
        }
      }
      const candidates = options.routes.filter((r) => r.pattern.test(url.pathname));
      const route = candidates.find((r) => r.method === method || r.method === 'ANY');
      if (!route) {
        send(
          res,
          candidates.length > 0 ? 405 : 404,
          JSON.stringify({ message: candidates.length > 0 ? 'Method Not Allowed' : 'Not Found' }),
        );
        return;
      }
      const match = route.pattern.exec(url.pathname)!;
      const pathParameters = Object.fromEntries(
        route.params.map((p, i) => [p, decodeURIComponent(match[i + 1]!)]),
      );
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
      const isText = /json|text|xml|x-www-form-urlencoded/.test(
        headers['content-type'] ?? 'application/json',
      );
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: route.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(route.params.length > 0 ? { pathParameters } : {}),
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: headers.host ?? host,
          domainPrefix: 'local',
          http: {
            method,
            path: url.pathname,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId,
          routeKey: route.routeKey,
          stage: '$default',
          time: now.toUTCString(),
          timeEpoch: now.getTime(),
        },
        ...(body.length > 0
          ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
          : { isBase64Encoded: false }),
      };
      let result: unknown;
      try {
        result = await options.functionFor(route).invoke(event);
      } catch {
        // API Gateway hides the function's error from the caller.
        send(res, 500, JSON.stringify({ message: 'Internal Server Error' }), {
          'apigw-requestid': requestId,
        });
        return;
      }
      if (result && typeof result === 'object' && 'statusCode' in result) {
        const r = result as {
          statusCode: number;
          headers?: Record<string, string>;
          body?: string;
          isBase64Encoded?: boolean;
        };
        res.writeHead(r.statusCode, { ...(r.headers ?? {}), 'apigw-requestid': requestId });
        res.end(r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
      } else {
        send(res, 200, typeof result === 'string' ? result : JSON.stringify(result ?? null), {
          'apigw-requestid': requestId,
        });
      }
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      send(
        res,
        status,
        JSON.stringify({ message: status === 413 ? 'Request Entity Too Large' : 'Internal Server Error' }),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
