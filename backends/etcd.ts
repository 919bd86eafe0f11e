// etcd v3 backend: reads pinned to one revision in ≤128-operation transactions, and a watch that resyncs after outages and compaction.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Grpc from '@grpc/grpc-js';
import type * as Etcd from 'etcd3';
import { defaultBackoff, retryDelay, type Backoff } from './retry.js';
import {
  BackendError,
  coveringPrefixes,
  isUnder,
  type Backend,
  type BackendOptions,
  type WatchEvent,
  type WatchOptions,
} from './types.js';

const name = 'etcd';
const defaultEndpoint = 'http://127.0.0.1:2379';
/** etcd's default --max-txn-ops: a transaction with more operations is rejected. */
const maxTxnOps = 128;
/** A unary call (a read) that gets no answer in this time fails; a member without a leader never answers a linearizable read. */
const callTimeout = 5_000;
/** A watch stream whose watchers etcd has not confirmed in this time counts as failed. */
const createTimeout = 10_000;
/** After a connection failure a member is passed over for this long, while another member is still worth trying. */
const memberPause = 1_000;
const memberPauseMax = 30_000;

/** etcd3's exports, as `import()` of a CommonJS module gives them under `default`. */
type Etcd3Module = (typeof Etcd)['default'];
type Client = Etcd.Etcd3;
type FaultPolicy = NonNullable<NonNullable<Etcd.IOptions['faultHandling']>['global']>;
type WatchStream = Etcd.IDuplexStream<Etcd.IWatchRequest, Etcd.IWatchResponse>;
interface Range {
  key: Buffer;
  range_end?: Buffer;
}
interface Snapshot {
  values: Map<string, string>;
  revision: number;
}
type SessionEnd = 'aborted' | 'compacted';

/** An error thrown by the watch's `onEvent`: it ends the watch instead of counting as an outage. */
class ConsumerError extends Error {}
/** Raised for a member we recently failed to reach while another member may still answer. */
class MemberPaused extends Error {}

export function createEtcdBackend(options: BackendOptions): Backend {
  const endpoints = resolveEndpoints(options.nodes, options);
  const where = endpoints.join(', ');
  const backoff: Backoff = { min: options.retryMin ?? defaultBackoff.min, max: options.retryMax ?? defaultBackoff.max };
  const closing = new AbortController();
  let client: Promise<{ lib: Etcd3Module; client: Client }> | undefined;
  let closed: Promise<void> | undefined;

  async function connect(): Promise<{ lib: Etcd3Module; client: Client }> {
    if (closing.signal.aborted) throw new BackendError(name, `the backend for ${where} is closed`);
    client ??= openClient(endpoints, options).catch((error: unknown) => {
      client = undefined; // a missing package or unreadable file may be fixed before the next try
      throw error;
    });
    return client;
  }

  /** Why a call failed, in words a user can act on; never includes a value. */
  function failure(what: string, error: unknown, lib?: Etcd3Module): BackendError {
    if (error instanceof BackendError) return error;
    return new BackendError(name, `${what} at ${where}: ${explain(error, options, lib)}`, { cause: error });
  }

  async function read(lib: Etcd3Module, client: Client, covering: readonly string[]): Promise<Snapshot> {
    try {
      return await readPinned(lib, client, covering);
    } catch (error) {
      throw failure(`cannot read ${listKeys(covering)}`, error, lib);
    }
  }

  async function getValues(prefixes: readonly string[]): Promise<Map<string, string>> {
    const { lib, client } = await connect();
    return (await read(lib, client, coveringPrefixes(prefixes))).values;
  }

  async function watch(prefixes: readonly string[], { signal: outer, onEvent }: WatchOptions): Promise<void> {
    const covering = coveringPrefixes(prefixes);
    const signal = AbortSignal.any([outer, closing.signal]);
    if (signal.aborted) return;
    const { lib, client } = await connect(); // a missing package is not an outage: it fails the watch at once
    let mirror: Map<string, string> | undefined;
    let resync: 'reset' | 'diff' = 'reset';
    let down = false;
    let downSince = 0;
    let attempt = 0;

    const publish = (snapshot: Snapshot) => {
      if (down) {
        down = false;
        onEvent({ kind: 'status', up: true });
        onEvent({ kind: 'reset', values: new Map(snapshot.values) });
      } else if (mirror === undefined || resync === 'reset') {
        onEvent({ kind: 'reset', values: new Map(snapshot.values) });
      } else {
        // Back after a moment's break that nobody was told about: only what changed meanwhile.
        for (const event of diff(mirror, snapshot.values)) onEvent(event);
      }
      mirror = new Map(snapshot.values);
      resync = 'reset';
    };
    const apply = (event: Etcd.IEvent) => {
      const key = event.kv.key.toString();
      if (!mirror || !covering.some((p) => isUnder(key, p))) return;
      if (event.type === 'Put') {
        const value = event.kv.value.toString();
        if (mirror.get(key) === value) return; // rewritten with the same value: nothing changed
        mirror.set(key, value);
        onEvent({ kind: 'put', key, value });
      } else if (mirror.delete(key)) {
        onEvent({ kind: 'delete', key });
      }
    };

    while (!signal.aborted) {
      let established = false;
      try {
        const end = await session(lib, client, covering, signal, {
          snapshot: () => read(lib, client, covering),
          publish,
          apply,
          established: () => {
            established = true;
            attempt = 0;
          },
        });
        if (end === 'aborted') return;
        resync = 'reset'; // compacted past our revision: what happened in between is gone, start over
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ConsumerError) throw error.cause;
        if (established && !down) {
          // A working watch broke: try once more (another member, or the same one back) before calling it an outage.
          resync = 'diff';
          if (!(await pause(retryDelay(0, backoff), signal))) return;
          continue;
        }
        const lost = failure('lost the watch', error, lib);
        if (!down) {
          down = true;
          downSince = Date.now();
          onEvent({ kind: 'status', up: false, error: lost });
        }
        let delay = retryDelay(attempt++, backoff);
        if (options.retryTimeout !== undefined) {
          const left = options.retryTimeout - (Date.now() - downSince);
          if (left <= 0) {
            throw new BackendError(name, `gave up watching ${listKeys(covering)} after ${options.retryTimeout}ms without etcd (retryTimeout): ${stripPrefix(lost.message)}`, { cause: error });
          }
          delay = Math.min(delay, left);
        }
        if (!(await pause(delay, signal))) return;
      }
    }
  }

  function hintForKey(key: string): string {
    const target = endpoints.length === 1 && endpoints[0] === defaultEndpoint ? '' : `--endpoints=${endpoints.join(',')} `;
    return `etcdctl ${target}put ${shellQuote(key)} <value>`;
  }

  function close(): Promise<void> {
    closed ??= (async () => {
      closing.abort();
      const opened = await client?.catch(() => undefined);
      opened?.client.close();
    })();
    return closed;
  }

  return { name, getValues, watch, hintForKey, close } satisfies Backend;
}

/** Endpoints as `http(s)://host:port`: nodes may be URLs or bare `host:port` / `host` (scheme from `options.scheme`, port 2379). */
function resolveEndpoints(nodes: readonly string[], options: BackendOptions): string[] {
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

async function loadEtcd3(): Promise<{ lib: Etcd3Module; grpc: typeof Grpc }> {
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

async function openClient(endpoints: readonly string[], options: BackendOptions): Promise<{ lib: Etcd3Module; client: Client }> {
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
        rootCertificate: file('clientCaKeys', options.clientCaKeys) as Buffer,
        certChain: file('clientCert', options.clientCert),
        privateKey: file('clientKey', options.clientKey),
      }
    : undefined;
  if (credentials && Boolean(credentials.certChain) !== Boolean(credentials.privateKey)) {
    throw new BackendError(name, 'clientCert and clientKey must be given together');
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
  return { lib, client };
}

/**
 * Fault handling for etcd3's connection pool: a call goes to one member, a connection failure moves it to the next,
 * and a member that just failed is passed over for a while (unless it is the only hope left).
 */
class MemberHealth {
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
function asPolicy(execute: <T>(fn: () => Promise<T>) => Promise<T>): FaultPolicy {
  const policy = {
    execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      const context = { signal: new AbortController().signal };
      return execute(async () => fn(context));
    },
  };
  return policy as unknown as FaultPolicy;
}

/** clientInsecure: accept any server certificate. etcd3 builds its TLS credentials without verify options, so set them. */
function skipVerification(client: Client): void {
  type Verify = { rejectUnauthorized?: boolean; checkServerIdentity?: () => undefined };
  const pool = (client as unknown as { pool?: { hosts?: { channelCredentials?: { verifyOptions?: Verify } }[] } }).pool;
  const verifies = (pool?.hosts ?? []).map((h) => h.channelCredentials?.verifyOptions);
  if (verifies.length === 0 || verifies.some((v) => !v)) {
    throw new BackendError(name, 'clientInsecure is not supported with this version of the etcd3 package; give clientCaKeys instead');
  }
  for (const verify of verifies as Verify[]) {
    verify.rejectUnauthorized = false;
    verify.checkServerIdentity = () => undefined;
  }
}

/** Read ranges for a prefix at `/` boundaries: the key itself, and everything under `key/`. */
function readRanges(prefix: string): Range[] {
  if (prefix === '/') return [{ key: Buffer.from('/'), range_end: Buffer.from('0') }]; // '0' is '/' + 1
  return [{ key: Buffer.from(prefix) }, { key: Buffer.from(`${prefix}/`), range_end: Buffer.from(`${prefix}0`) }];
}

/** One watch range per prefix: [p, p+'0') holds p and p/…, plus siblings such as p-x that events are filtered from. */
function watchRange(prefix: string): Range {
  return prefix === '/' ? { key: Buffer.from('/'), range_end: Buffer.from('0') } : { key: Buffer.from(prefix), range_end: Buffer.from(`${prefix}0`) };
}

/**
 * Linearizable reads in transactions of at most 128 ranges; every transaction after the first reads at the first one's
 * revision, so the result is one moment of the store. If that revision is compacted meanwhile, read again.
 */
async function readPinned(lib: Etcd3Module, client: Client, prefixes: readonly string[]): Promise<Snapshot> {
  const ranges = prefixes.flatMap(readRanges);
  for (let tries = 1; ; tries++) {
    try {
      const values = new Map<string, string>();
      let revision = 0;
      for (let start = 0; start === 0 || start < ranges.length; start += maxTxnOps) {
        const success = ranges.slice(start, start + maxTxnOps).map((range) => ({ request_range: { ...range, revision } }));
        const response = await client.kv.txn({ success });
        if (revision === 0) revision = Number(response.header.revision);
        for (const op of response.responses) {
          for (const kv of op.response_range.kvs) values.set(kv.key.toString(), kv.value.toString());
        }
      }
      return { values, revision };
    } catch (error) {
      if (tries >= 3 || !isCompacted(lib, error)) throw error;
    }
  }
}

function isCompacted(lib: Etcd3Module, error: unknown): boolean {
  return error instanceof Error && !(error instanceof lib.GRPCUnavailableError) && error.message.includes('required revision has been compacted');
}

interface SessionHooks {
  snapshot(): Promise<Snapshot>;
  publish(snapshot: Snapshot): void;
  apply(event: Etcd.IEvent): void;
  established(): void;
}

/**
 * One connected stretch of a watch: a snapshot, published, then one stream with a watcher per prefix starting right
 * after the snapshot's revision. Ends on abort or compaction; throws when the connection or the stream fails.
 */
async function session(lib: Etcd3Module, client: Client, prefixes: readonly string[], signal: AbortSignal, hooks: SessionHooks): Promise<SessionEnd> {
  const snapshot = await hooks.snapshot();
  if (signal.aborted) return 'aborted';
  try {
    hooks.publish(snapshot);
  } catch (error) {
    throw new ConsumerError('onEvent failed', { cause: error });
  }
  if (prefixes.length === 0) {
    hooks.established();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'aborted';
  }
  const stream: WatchStream = await client.watchClient.watch();
  return new Promise<SessionEnd>((resolve, reject) => {
    let done = false;
    let pending = prefixes.length;
    const timer = setTimeout(() => finish(new Error(`etcd did not confirm the watch within ${createTimeout}ms`)), createTimeout);
    const onAbort = () => finish('aborted');
    function finish(end: SessionEnd | Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Half-close first: etcd3 then does not count our own cancel as a failure of the member.
      stream.end();
      stream.cancel();
      if (end instanceof Error) reject(end);
      else resolve(end);
    }
    stream.on('data', (response) => {
      if (done) return;
      if (response.canceled) {
        if (Number(response.compact_revision) > 0) finish('compacted');
        else finish(new lib.EtcdError(`etcd cancelled the watch: ${response.cancel_reason || 'no reason given'}`));
        return;
      }
      if (response.created && --pending === 0) {
        clearTimeout(timer);
        hooks.established();
      }
      try {
        for (const event of response.events) hooks.apply(event);
      } catch (error) {
        finish(new ConsumerError('onEvent failed', { cause: error }));
      }
    });
    stream.on('error', (error) => finish(lib.castGrpcError(error)));
    stream.on('end', () => finish(new lib.EtcdWatchStreamEnded()));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return finish('aborted');
    for (const prefix of prefixes) {
      stream.write({ create_request: { ...watchRange(prefix), start_revision: snapshot.revision + 1 } });
    }
  });
}

/** The events that turn `before` into `after`. */
function diff(before: Map<string, string>, after: Map<string, string>): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const key of before.keys()) if (!after.has(key)) events.push({ kind: 'delete', key });
  for (const [key, value] of after) if (before.get(key) !== value) events.push({ kind: 'put', key, value });
  return events;
}

/** Resolves false when aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function explain(error: unknown, options: BackendOptions, lib: Etcd3Module | undefined): string {
  const message = grpcReason(error instanceof Error ? error.message : String(error));
  const user = options.username ? `user \`${options.username}\`` : 'an unauthenticated client';
  if (lib && error instanceof lib.EtcdAuthenticationFailedError) return `authentication failed for ${user}; check the username and password`;
  if (lib && error instanceof lib.EtcdPermissionDeniedError) return `permission denied for ${user}; give it a role that may read these keys`;
  if (message.includes('user name is empty') || (lib && error instanceof lib.GRPCUnauthenticatedError)) {
    return `etcd requires authentication (${message}); set username and password`;
  }
  if (lib && error instanceof lib.GRPCDeadlineExceededError) {
    return `no answer within ${callTimeout}ms; check that a quorum of members is up and has a leader`;
  }
  if (error instanceof MemberPaused) return `${message}; waiting before trying it again`;
  if (/certificate|SSL|TLS|self.signed/i.test(message)) {
    return `TLS handshake failed (${message}); check clientCaKeys, clientCert and clientKey (clientInsecure skips verifying the server)`;
  }
  return `${message}; check that etcd is running there and reachable`;
}

/** grpc-js wraps the useful part ("connect ECONNREFUSED …") in status text, a timestamp and an empty resolution note. */
function grpcReason(message: string): string {
  let text = message.replace(/\s*Resolution note:.*$/s, '').replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '');
  const last = /Last error: (?:Error: )?(.*)$/s.exec(text);
  if (last) text = last[1];
  const ssl = /SSL routines:[^:]*:([^:]+)/.exec(text); // OpenSSL's "<hex>:error:<code>:SSL routines:<fn>:<reason>:<file>:<line>"
  if (ssl) text = ssl[1];
  return text.replace(/\s+/g, ' ').replace(/[.\s]+$/, '').trim();
}

function listKeys(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return 'nothing';
  const shown = prefixes.slice(0, 3).join(', ');
  return prefixes.length > 3 ? `${shown} and ${prefixes.length - 3} more` : shown;
}

function stripPrefix(message: string): string {
  return message.replace(/^\[etcd\] /, '');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
