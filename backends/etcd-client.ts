// etcd connection stage: endpoints, lazy loading of etcd3 and gRPC, member fail-over policy, TLS, and errors people can act on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import type * as Etcd from 'etcd3';
import { watchCall, type WatchAnswer, type WatchServiceClient } from './etcd-decode.js';
import { BackendError, type BackendOptions } from './types.js';

export const name = 'etcd';
export const defaultEndpoint = 'http://127.0.0.1:2379';
/** A unary call (a read) that gets no answer in this time fails; a member without a leader never answers a linearizable read. */
export const callTimeout = 5_000;
/** After a connection failure a member is passed over for this long, while another member is still worth trying. */
export const memberPause = 1_000;
export const memberPauseMax = 30_000;

/** etcd3's exports, as `import()` of a CommonJS module gives them under `default`. */
export type Etcd3Module = (typeof Etcd)['default'];
export type Client = Etcd.Etcd3;
export type FaultPolicy = NonNullable<NonNullable<Etcd.IOptions['faultHandling']>['global']>;
/** Raised for a member we recently failed to reach while another member may still answer. */
export class MemberPaused extends Error {}

/** Endpoints as `http(s)://host:port`: nodes may be URLs or bare `host:port` / `host` (scheme from `options.scheme`, port 2379). */
export function resolveEndpoints(nodes: readonly string[], options: BackendOptions): string[] {
  const tlsFiles = Boolean(options.clientCert || options.clientKey || options.clientCaKeys);
  const scheme = options.scheme ?? (tlsFiles ? 'https' : 'http');
  const given = nodes.map((n) => n.trim()).filter(Boolean);
  const out = (given.length === 0 ? [defaultEndpoint] : given).map((node) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(node) ? node : `${scheme}://${node}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new BackendError(name, `node \`${node}\` is not an endpoint; write it as http://host:2379 or host:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new BackendError(name, `node \`${node}\` has scheme ${url.protocol}; etcd endpoints use http:// or https://`);
    }
    return `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname.replace(/^\[|\]$/g, '')}]` : url.hostname}:${url.port || '2379'}`;
  });
  const secure = out.filter((e) => e.startsWith('https:')).length;
  if (secure !== 0 && secure !== out.length) {
    throw new BackendError(name, `nodes ${out.join(', ')} mix http:// and https://; use one scheme for all members`);
  }
  if (secure === 0 && tlsFiles) {
    throw new BackendError(name, `client TLS files are set but nodes ${out.join(', ')} use http://; use https:// endpoints (or --scheme https)`);
  }
  return out;
}

export async function loadEtcd3(): Promise<{ lib: Etcd3Module; grpc: typeof Grpc }> {
  let lib: Etcd3Module;
  try {
    lib = (await import('etcd3')).default;
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes("'etcd3'");
    throw new BackendError(
      name,
      missing ? 'the `etcd3` package is not installed; run `npm install etcd3` to use the etcd backend' : `cannot load the \`etcd3\` package: ${(error as Error).message}; reinstall it with \`npm install etcd3\``,
      { cause: error },
    );
  }
  // The gRPC library etcd3 itself uses, so that call options and interceptors are its own classes.
  const require = createRequire(import.meta.url);
  const grpc = createRequire(require.resolve('etcd3'))('@grpc/grpc-js') as typeof Grpc;
  return { lib, grpc };
}

export interface Opened {
  lib: Etcd3Module;
  client: Client;
  health: MemberHealth;
}

export async function openClient(endpoints: readonly string[], options: BackendOptions): Promise<Opened> {
  const { lib, grpc } = await loadEtcd3();
  const secure = endpoints[0].startsWith('https:');
  const file = (what: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new BackendError(name, `cannot read ${what} file ${path}: ${(error as Error).message}; check the path and its permissions`, { cause: error });
    }
  };
  const credentials = secure
    ? {
        // Without a CA file, the system's roots verify the server (grpc's default).
        rootCertificate: file('--client-ca-keys', options.clientCaKeys) as Buffer,
        certChain: file('--client-cert', options.clientCert),
        privateKey: file('--client-key', options.clientKey),
      }
    : undefined;
  if (credentials && Boolean(credentials.certChain) !== Boolean(credentials.privateKey)) {
    throw new BackendError(name, '--client-cert and --client-key must be given together');
  }

  // etcd's "require leader" metadata: a member that has lost its leader refuses and ends our watch streams,
  // so nothing is ever read from a member that may be partitioned away with stale data.
  const requireLeader: Grpc.Interceptor = (callOptions, nextCall) =>
    new grpc.InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        metadata.set('hasleader', 'true');
        next(metadata, listener);
      },
    });
  const health = new MemberHealth(lib, endpoints.length);
  const client = new lib.Etcd3({
    hosts: [...endpoints],
    credentials,
    auth: options.username ? { username: options.username, password: options.password ?? '' } : undefined,
    grpcOptions: {
      'grpc.max_receive_message_length': -1, // a big prefix is one range response
      'grpc.use_local_subchannel_pool': 1, // a fresh client never inherits a dead connection's backoff
      'grpc.keepalive_time_ms': 30_000, // notice a silently vanished member while a watch is idle
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
    defaultCallOptions: (context) =>
      context.isStream ? { interceptors: [requireLeader] } : { deadline: Date.now() + callTimeout, interceptors: [requireLeader] },
    faultHandling: { host: (host) => health.policy(host), global: health.tryEachMember() },
  });
  if (secure && options.clientInsecure) skipVerification(client);
  return { lib, client, health };
}

/**
 * etcd's Watch stream. Its answers come from decodeWatchResponse, or, on the fallback below, from etcd3's protobufjs
 * objects, whose fields keyplate reads have the same names and meanings (compact_revision as a string: read it with
 * Number()).
 */
type WatchStream = Etcd.IDuplexStream<Etcd.IWatchRequest, WatchAnswer>;

/**
 * A watch stream as etcd3's `watchClient.watch()` opens it (a member picked by the pool, passed-over members
 * skipped), with the member it went to (`host:port`), so that a member that falls silent can be named and avoided.
 * This reaches into etcd3 1.x's connection pool (`pool.withConnection`, as its WatchClient does).
 */
export function openWatchStream(client: Client): Promise<{ stream: WatchStream; host: string }> {
  type Pool = {
    callOptionsFactory: Etcd.IOptions['defaultCallOptions'];
    markFailed(resource: unknown, error: unknown): void;
    withConnection<T>(service: string, fn: (c: { resource: { host: string }; client: WatchServiceClient; metadata: unknown }) => T): Promise<T>;
  };
  const pool = (client as unknown as { pool?: Pool }).pool;
  if (typeof pool?.withConnection !== 'function' || typeof pool.markFailed !== 'function') {
    // Another etcd3 version with other internals: its own call, without the member's name.
    // Named in messages as "member holding the watch".
    return client.watchClient.watch().then((stream) => ({ stream: stream as unknown as WatchStream, host: 'holding the watch' }));
  }
  return pool.withConnection('Watch', ({ resource, client: service, metadata }) => {
    const options = typeof pool.callOptionsFactory === 'function'
      ? pool.callOptionsFactory({ service: 'Watch', method: 'watch', isStream: true })
      : pool.callOptionsFactory;
    const stream = watchCall(service, metadata, options) as WatchStream;
    stream.on('error', (error: unknown) => (stream as unknown as { writable: boolean }).writable && pool.markFailed(resource, error));
    return { stream, host: resource.host };
  });
}

/** How often a watch that is down tries a TCP connection to the members, and how long one try may take (ms). */
export const probeInterval = 200;
const probeTimeout = 500;

/**
 * True once any endpoint accepts a TCP connection: the cheap sign that etcd may answer again, tried far more
 * often than a full resync (a connection costs etcd nothing, a linearizable read a quorum round).
 */
export function anyEndpointListens(endpoints: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    let left = endpoints.length;
    if (left === 0) resolve(false);
    for (const endpoint of endpoints) {
      const url = new URL(endpoint);
      const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) });
      const done = (ok: boolean): void => {
        socket.destroy();
        if (ok) resolve(true);
        else if (--left === 0) resolve(false);
      };
      socket.setTimeout(probeTimeout, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    }
  });
}

/**
 * Fault handling for etcd3's connection pool: a call goes to one member, a connection failure moves it to the next,
 * and a member that just failed is passed over for a while (unless it is the only hope left).
 */
export class MemberHealth {
  /** Per member: passed over until then; the pause doubles with each failure in a row. */
  private readonly paused = new Map<string, { until: number; failures: number }>();
  constructor(
    private readonly lib: Etcd3Module,
    private readonly members: number,
  ) {}

  private isConnectionFailure(error: unknown): boolean {
    return error instanceof this.lib.GRPCUnavailableError || error instanceof this.lib.GRPCDeadlineExceededError;
  }

  policy(host: string): FaultPolicy {
    return asPolicy(async (fn) => {
      const now = Date.now();
      const othersPaused = [...this.paused].filter(([h, p]) => h !== host && p.until > now).length;
      if ((this.paused.get(host)?.until ?? 0) > now && othersPaused < this.members - 1) {
        throw new MemberPaused(`member ${host} failed moments ago`);
      }
      try {
        const result = await fn();
        this.paused.delete(host);
        return result;
      } catch (error) {
        if (this.isConnectionFailure(error)) {
          const failures = (this.paused.get(host)?.failures ?? 0) + 1;
          this.paused.set(host, { until: Date.now() + Math.min(memberPauseMax, memberPause * 2 ** (failures - 1)), failures });
        }
        throw error;
      }
    });
  }

  /** Pass over `host` (an endpoint as given, with its scheme) for `ms`, unless it is the only one left. */
  pause(host: string, ms: number): void {
    const failures = (this.paused.get(host)?.failures ?? 0) + 1;
    this.paused.set(host, { until: Date.now() + ms, failures });
  }

  tryEachMember(): FaultPolicy {
    return asPolicy(async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn();
        } catch (error) {
          if (attempt >= this.members || !this.isConnectionFailure(error)) throw error;
        }
      }
    });
  }
}

/** etcd3 only ever calls `execute` on its policies; this builds one without depending on cockatiel directly. */
export function asPolicy(execute: <T>(fn: () => Promise<T>) => Promise<T>): FaultPolicy {
  const policy = {
    execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      const context = { signal: new AbortController().signal };
      return execute(async () => fn(context));
    },
  };
  return policy as unknown as FaultPolicy;
}

/** clientInsecure: accept any server certificate. etcd3 builds its TLS credentials without verify options, so set them. */
export function skipVerification(client: Client): void {
  type Verify = { rejectUnauthorized?: boolean; checkServerIdentity?: () => undefined };
  const pool = (client as unknown as { pool?: { hosts?: { channelCredentials?: { verifyOptions?: Verify } }[] } }).pool;
  const verifies = (pool?.hosts ?? []).map((h) => h.channelCredentials?.verifyOptions);
  if (verifies.length === 0 || verifies.some((v) => !v)) {
    throw new BackendError(name, '--client-insecure is not supported with this version of the etcd3 package; give --client-ca-keys instead');
  }
  for (const verify of verifies as Verify[]) {
    verify.rejectUnauthorized = false;
    verify.checkServerIdentity = () => undefined;
  }
}

export function explain(error: unknown, options: BackendOptions, lib: Etcd3Module | undefined): string {
  const message = grpcReason(error instanceof Error ? error.message : String(error));
  const user = options.username ? `user \`${options.username}\`` : 'an unauthenticated client';
  if (lib && error instanceof lib.EtcdAuthenticationFailedError) return `authentication failed for ${user}; check the username and password`;
  if (lib && error instanceof lib.EtcdPermissionDeniedError) return `permission denied for ${user}; give it a role that may read these keys`;
  if (message.includes('user name is empty') || (lib && error instanceof lib.GRPCUnauthenticatedError)) {
    return `etcd requires authentication (${message}); set username and password`;
  }
  // The deadline can run out on our side (no answer) or on the member's (etcd answers "context deadline exceeded"
  // or "request timed out" when it has no leader to serve a linearizable read): the same advice either way.
  if ((lib && error instanceof lib.GRPCDeadlineExceededError) || /context deadline exceeded|request timed out|no leader/i.test(message)) {
    return `no answer within ${callTimeout}ms; check that a quorum of members is up and has a leader`;
  }
  if (error instanceof MemberPaused) return `${message}; waiting before trying it again`;
  if (speaksOtherProtocol(message)) {
    return `the server there does not speak etcd's gRPC API (${message}); set --node to an etcd client URL (port 2379 unless configured otherwise)`;
  }
  if (/certificate|SSL|TLS|self.signed/i.test(message)) {
    return `TLS handshake failed (${message}); check --client-ca-keys (the CA that signed the server's certificate), --client-cert and --client-key (--client-insecure skips verifying the server)`;
  }
  // An http:// node in front of a TLS-only etcd fails the same way as a down one: say the scheme could be why.
  const plain = !options.nodes.some((n) => n.startsWith('https://')) && options.scheme !== 'https' && !options.clientCaKeys && !options.clientCert;
  const scheme = plain ? '; if that etcd serves TLS, write the node as https://' : '';
  return `${message}; check that etcd is running there and reachable${scheme}`;
}

/** grpc-js's words for an answer that is not HTTP/2 gRPC: an HTTP/1 server (Consul's port, a web server) or another protocol. */
function speaksOtherProtocol(message: string): boolean {
  return /Protocol error|Received HTTP status code|unexpected content-type|Bad Request|HTTP\/1/i.test(message);
}

/**
 * True when retrying cannot help until the user changes something: credentials, permissions, a certificate, or
 * a --node that is not etcd. A member that is down, slow or without a leader is never permanent.
 */
export function isPermanent(error: unknown, lib: Etcd3Module | undefined): boolean {
  const message = grpcReason(error instanceof Error ? error.message : String(error));
  if (lib && (error instanceof lib.EtcdAuthenticationFailedError || error instanceof lib.EtcdPermissionDeniedError || error instanceof lib.GRPCUnauthenticatedError)) return true;
  return speaksOtherProtocol(message) || /user name is empty|certificate|self.signed/i.test(message);
}

/** grpc-js wraps the useful part ("connect ECONNREFUSED …") in status text, a timestamp and an empty resolution note. */
export function grpcReason(message: string): string {
  let text = message.replace(/\s*Resolution note:.*$/s, '').replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '');
  const last = /Last error: (?:Error: )?(.*)$/s.exec(text);
  if (last) text = last[1];
  const ssl = /SSL routines:[^:]*:([^:]+)/.exec(text); // OpenSSL's "<hex>:error:<code>:SSL routines:<fn>:<reason>:<file>:<line>"
  if (ssl) text = ssl[1];
  return text.replace(/\s+/g, ' ').replace(/[.\s]+$/, '').trim();
}

