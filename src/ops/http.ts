// The operations server (--metrics-addr): /metrics, /healthz, /readyz and the status page; off unless asked for.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { UsageError, describe } from '../errors.js';
import type { AgentEvents, StatusSnapshot } from './events.js';
import type { AgentMetrics } from './metrics.js';
import { renderStatusPage } from './status-page.js';

export interface OperationsServerOptions {
  /** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface); port 0 picks a free one. */
  address: string;
  events: AgentEvents;
  log?: { info(m: string): void; warn(m: string): void };
}

export interface OperationsServer {
  /** Where to reach the server, e.g. `http://127.0.0.1:9100` (loopback when bound to every interface). */
  url: string;
  /** Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

/** /healthz fails when the loop has not turned for this long: the process lives but is stuck. */
const loopStallMs = 30_000;

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` → host (undefined: every interface) and port; a UsageError otherwise. */
export function parseListenAddress(address: string): { host?: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new UsageError(`metrics-addr: expected HOST:PORT such as 127.0.0.1:9100 (or :9100 for every interface), got ${describe(address)}`);
  }
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}

export type Health = { status: 'ok' } | { status: 'stalled'; lastLoopAt: string; secondsSinceLastLoop: number };

/** /healthz's answer: ok while the run's loop turned within loopStallMs. */
export function healthOf(snapshot: StatusSnapshot, now: Date = new Date()): Health {
  const age = now.getTime() - Date.parse(snapshot.lastLoopAt);
  if (age <= loopStallMs) return { status: 'ok' };
  // An unparseable time is a stuck loop too: better a restart than a silent agent.
  return { status: 'stalled', lastLoopAt: snapshot.lastLoopAt, secondsSinceLastLoop: Number.isFinite(age) ? Math.round(age / 1000) : -1 };
}

/** /readyz's answer. Not ready always says why: `reason`, a resource's keys or error, or the backend being down. */
export type Readiness =
  | { status: 'ready' }
  | {
      status: 'not ready';
      /**
       * Why, in a few words, always set: "connecting to the backend", "backend down", "waiting for keys", "a resource
       * failed" or "first render pending"; `resources` and `backend` give the details.
       */
      reason: string;
      backend?: { name: string; up: false };
      resources: { name: string; dest: string; waitingFor: string[]; error?: string }[];
    };

/** Ready once every resource has rendered and the backend answers. */
export function readinessOf(snapshot: StatusSnapshot): Readiness {
  const pending = snapshot.resources.filter((r) => !r.rendered);
  const resources = pending.map((r) => ({ name: r.name, dest: r.dest, waitingFor: [...r.missingKeys], ...(r.lastError ? { error: r.lastError } : {}) }));
  if (snapshot.backend.up && resources.length === 0) return { status: 'ready' };
  let reason: string;
  if (!snapshot.backend.synced) reason = 'connecting to the backend';
  else if (!snapshot.backend.up) reason = 'backend down';
  else if (resources.some((r) => r.waitingFor.length > 0)) reason = 'waiting for keys';
  else if (resources.some((r) => r.error)) reason = 'a resource failed';
  else reason = 'first render pending';
  return {
    status: 'not ready',
    reason,
    ...(snapshot.backend.up ? {} : { backend: { name: snapshot.backend.name, up: false as const } }),
    resources,
  };
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown): Reply => ({ status, type: 'application/json; charset=utf-8', body: JSON.stringify(value) + '\n' });
const text = (status: number, body: string): Reply => ({ status, type: 'text/plain; charset=utf-8', body });

const paths = ['/', '/metrics', '/healthz', '/readyz'] as const;

async function reply(path: string, method: string | undefined, events: AgentEvents, metrics: AgentMetrics): Promise<Reply> {
  if (!(paths as readonly string[]).includes(path)) return text(404, `not found; this server has ${paths.join(', ')}\n`);
  if (method !== 'GET' && method !== 'HEAD') return { ...text(405, 'only GET and HEAD\n'), headers: { Allow: 'GET, HEAD' } };
  switch (path) {
    case '/metrics':
      return { status: 200, type: metrics.contentType, body: await metrics.scrape() };
    case '/healthz': {
      const health = healthOf(events.snapshot());
      return json(health.status === 'ok' ? 200 : 503, health);
    }
    case '/readyz': {
      const readiness = readinessOf(events.snapshot());
      return json(readiness.status === 'ready' ? 200 : 503, readiness);
    }
    default:
      return {
        status: 200,
        type: 'text/html; charset=utf-8',
        body: renderStatusPage(events.snapshot()),
        // The page loads nothing and runs nothing; say so, so a bug in escaping cannot become a script.
        headers: { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'" },
      };
  }
}

function send(req: IncomingMessage, res: ServerResponse, r: Reply): void {
  res.writeHead(r.status, {
    'Content-Type': r.type,
    'Content-Length': Buffer.byteLength(r.body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...r.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : r.body);
}

/** Listen on `address` and serve /metrics, /healthz, /readyz and the status page; throws a UsageError if it cannot. */
export async function startOperationsServer({ address, events, log }: OperationsServerOptions): Promise<OperationsServer> {
  const { host, port } = parseListenAddress(address);
  const { createAgentMetrics } = await import('./metrics.js');
  const metrics = await createAgentMetrics(events);

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    reply(path, req.method, events, metrics).then(
      (r) => send(req, res, r),
      (error: unknown) => {
        log?.warn(`operations server: ${req.method} ${path} failed: ${(error as Error).message}`);
        if (!res.headersSent) send(req, res, text(500, 'internal error; see the keyplate log\n'));
        else res.destroy();
      },
    );
  });
  server.listen({ host, port });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    metrics.detach();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`metrics-addr: cannot listen on ${address} (${code}); choose a free port or another address`, { cause: error });
  }

  const bound = server.address() as net.AddressInfo;
  const unspecified = host === undefined || host === '0.0.0.0' || host === '::';
  const urlHost = unspecified ? '127.0.0.1' : net.isIPv6(bound.address) ? `[${bound.address}]` : bound.address;
  const url = `http://${urlHost}:${bound.port}`;
  // 0.0.0.0 is every interface (what a container publishes), not loopback: say so, with the URL for this host.
  const paths = '/metrics, /healthz, /readyz, status page at /';
  log?.info(unspecified ? `operations server listening on every interface, port ${bound.port} (${url} from this host; ${paths})` : `operations server listening on ${url} (${paths})`);

  let closed: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        metrics.detach();
        server.close(() => resolve());
        // Scrapers keep connections alive; without this, close waits for their idle timeout.
        server.closeAllConnections();
      })),
  };
}
