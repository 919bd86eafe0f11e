// Consul KV backend: reads at one moment of the store, and watches with blocking queries.
import { EventEmitter, setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { defaultBackoff, pause, retryDelay, waitOrProbe, type Backoff } from './retry.js';
import { coveringPrefixes, normalizeKey, prefixOf } from '../src/keys/paths.js';
import { commandLine, shellQuote } from './cli-hint.js';
import {
  BackendError,
  type Backend,
  type BackendOptions,
  type WatchOptions,
} from './types.js';
import { failure as describeFailure, looksForeign, notConsul, type FailureContext } from './consul-errors.js';
import { WatchMirror, type Snapshot, type Together } from './consul-mirror.js';

const name = 'consul';
/** Consul's own default blocking wait: an idle watch costs one request per 5 minutes. */
const defaultWait = 5 * 60_000;
/** Least time between two blocking queries that brought no newer index, so a stuck index cannot spin. */
const minPause = 1_000;
/** Non-blocking reads that get no answer in this time count as failed. */
const readTimeout = 30_000;
/** Consul rejects transactions with more operations than this. */
const maxTxnOps = 64;
/** While a watch is down, how often it asks /v1/status/leader whether the cluster could answer again (ms). */
const probeInterval = 200;
const probeTimeout = 1_000;

interface KvPair {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
}
interface Reply {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
}
/** What `consul` 2.x resolves to when the request context asks for the response (`ctx.includeResponse`). */
type WithReply<T> = [Reply, T?];
/** The slice of the `consul` client used here; the request options it accepts are untyped in its .d.ts. */
interface ConsulClient {
  kv: { get(options: Record<string, unknown>): Promise<unknown> };
  transaction: { create(operations: unknown[], options: Record<string, unknown>): Promise<unknown> };
  status: { leader(options: Record<string, unknown>): Promise<unknown> };
  destroy(): void;
}
type ConsulConstructor = new (options: Record<string, unknown>) => ConsulClient;

/** keyplate's `/app/db/host` is Consul's `app/db/host`; the root `/` is the empty key. */
function consulKey(key: string): string {
  return normalizeKey(key).slice(1);
}

function parseNode(options: BackendOptions): { baseUrl: string; address: string; secure: boolean } {
  const node = options.nodes[0]?.trim() || '127.0.0.1:8500';
  let url: URL;
  try {
    // A bare host:port takes --scheme and Consul's port 8500; a URL is taken as written.
    url = node.includes('://') ? new URL(node) : new URL(`${options.scheme ?? 'http'}://${node}`);
    if (!node.includes('://') && url.port === '') url.port = '8500';
  } catch (cause) {
    throw new BackendError(name, `bad node address \`${node}\`: use host:port or a URL such as http://127.0.0.1:8500`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BackendError(name, `bad node address \`${node}\`: the scheme must be http or https, got \`${url.protocol.slice(0, -1)}\``);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { baseUrl: `${url.protocol}//${url.host}${path}/v1`, address: url.host + path, secure: url.protocol === 'https:' };
}

/**
 * The `consul kv put` that sets `key` on the agent keyplate reads (`-http-addr` unless it is the CLI's default
 * http://127.0.0.1:8500) with keyplate's TLS files. Never the token: the hint says where it comes from instead.
 */
function hintCommand(options: BackendOptions, baseUrl: string, key: string): string {
  const httpAddr = baseUrl.replace(/\/v1$/, '');
  const flags = [
    ...(httpAddr === 'http://127.0.0.1:8500' ? [] : [`-http-addr=${shellQuote(httpAddr)}`]),
    ...(options.clientCaKeys ? [`-ca-file=${shellQuote(options.clientCaKeys)}`] : []),
    ...(options.clientCert ? [`-client-cert=${shellQuote(options.clientCert)}`] : []),
    ...(options.clientKey ? [`-client-key=${shellQuote(options.clientKey)}`] : []),
  ];
  const name = consulKey(key);
  // A key that starts with `-` would be read as a flag: `--` ends the flags (Go's flag package).
  return commandLine('consul', ['kv', 'put', ...flags, ...(name.startsWith('-') ? ['--'] : [])], `${shellQuote(name)} <value>`);
}

export function createConsulBackend(options: BackendOptions): Backend {
  const { baseUrl, address, secure } = parseNode(options);
  if (!secure && (options.clientCaKeys || options.clientCert || options.clientKey)) {
    // As etcd's backend says it: the files would be ignored, and the agent read in the clear.
    throw new BackendError(name, `client TLS files are set but node ${address} uses http://; write it as https://${address} (or add --scheme https)`);
  }
  const environment = options.environment ?? process.env;
  const token = options.token || environment.CONSUL_HTTP_TOKEN || undefined;
  const wait = options.consulWait ?? defaultWait;
  const backoff: Backoff = { min: options.retryMin ?? defaultBackoff.min, max: options.retryMax ?? defaultBackoff.max };
  const closed = new AbortController();
  let client: Promise<ConsulClient> | undefined;
  let closing: Promise<void> | undefined;

  async function connect(): Promise<ConsulClient> {
    let Consul: ConsulConstructor;
    try {
      const mod: { default?: unknown } = await import('consul');
      Consul = (mod.default ?? mod) as ConsulConstructor;
    } catch (cause) {
      throw new BackendError(name, `the \`consul\` package is missing (needed to reach ${address}): run \`npm install consul\``, { cause });
    }
    const client = new Consul({ baseUrl, agent: await httpAgent(), ...(token ? { defaults: { token } } : {}) });
    // The client (papi) hands the URL's hostname to Node's http as it is: an IPv6 address keeps its brackets there
    // (`[::1]`), which Node then tries to resolve as a name (ENOTFOUND).
    const opts = (client as unknown as { _opts?: { baseUrl?: { hostname?: string } } })._opts?.baseUrl;
    if (opts?.hostname?.startsWith('[')) opts.hostname = opts.hostname.slice(1, -1);
    return client;
  }

  async function httpAgent(): Promise<http.Agent> {
    if (!secure) return new http.Agent({ keepAlive: true });
    const file = async (path: string | undefined, flag: string): Promise<Buffer | undefined> => {
      if (!path) return undefined;
      try {
        return await readFile(path);
      } catch (cause) {
        throw new BackendError(name, `cannot read --${flag} \`${path}\` for TLS to ${address}: ${(cause as Error).message}`, { cause });
      }
    };
    const [ca, cert, key] = await Promise.all([
      file(options.clientCaKeys, 'client-ca-keys'),
      file(options.clientCert, 'client-cert'),
      file(options.clientKey, 'client-key'),
    ]);
    return new https.Agent({ keepAlive: true, ca, cert, key, rejectUnauthorized: !options.clientInsecure });
  }

  function getClient(): Promise<ConsulClient> {
    if (closed.signal.aborted) return Promise.reject(new BackendError(name, `the backend for ${address} is closed`));
    client ??= connect().catch((error: unknown) => {
      client = undefined; // a fixed file or package can be picked up by the next call
      throw error;
    });
    return client;
  }

  /** Run one request whose in-flight HTTP call ends when `signal` aborts (papi cancels on the context's `cancel`). */
  async function request<T>(send: (ctx: EventEmitter) => Promise<unknown>, signal?: AbortSignal): Promise<WithReply<T>> {
    signal?.throwIfAborted();
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true, canceled: false });
    const cancel = (): void => {
      ctx.canceled = true; // papi checks this before it sends, and listens for `cancel` once it has
      ctx.emit('cancel');
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return (await send(ctx)) as WithReply<T>;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  /** During an election a server may answer from stale state: that is a failed read, never an empty one. */
  function requireLeader(reply: Reply, what: string): void {
    if (String(reply.headers['x-consul-knownleader']) === 'false') {
      throw new BackendError(name, `${what} at ${address}: the cluster has no known leader (election under way); retrying later, not taking the answer as empty`);
    }
  }

  const context: FailureContext = { address, token: Boolean(token) };
  const failure = (error: unknown, what: string, keys?: readonly string[]): BackendError => describeFailure(error, what, context, keys);

  /** True when /v1/status/leader answers as Consul does (a JSON string: the leader's address, or empty). */
  const speaksConsul = async (): Promise<boolean> => (await leaderReply()) !== undefined;

  /** failure(), but an answer Consul would not give is checked first: is it Consul at all? */
  async function classify(error: unknown, what: string, keys: readonly string[]): Promise<BackendError> {
    if (!(error instanceof BackendError) && looksForeign(error) && !(await speaksConsul())) return notConsul(what, context, error);
    return failure(error, what, keys);
  }

  function toSnapshot(pairs: readonly KvPair[], prefixes: readonly string[], decode: (v: string) => string): Snapshot {
    const out: Snapshot = new Map();
    const wanted = new Set(prefixes);
    const exact = new Set<string>();
    for (const pair of pairs) {
      // As confd reads Consul (path.Join("/", key)): a folder `app/db/`, as the Consul UI makes them, is the key
      // `/app/db` (empty unless given a value), and `app//x` is `/app/x`. Where two Consul keys are one key, the
      // one spelled exactly (`app/db`, not the folder) gives the value.
      const raw = '/' + pair.Key;
      const key = normalizeKey(raw);
      // `app` is read as a raw string prefix and would also return `apple`.
      if (prefixOf(key, wanted) === undefined) continue;
      if (raw === key) exact.add(key);
      else if (exact.has(key) || out.has(key)) continue;
      out.set(key, { value: pair.Value === null ? '' : decode(pair.Value), modifyIndex: pair.ModifyIndex });
    }
    return out;
  }

  /** One recursive read; with `index` a blocking query that returns once the prefix changes or `wait` passes. */
  async function readPrefix(prefix: string, index?: number, signal?: AbortSignal): Promise<{ snapshot: Snapshot; index?: number }> {
    const key = consulKey(prefix);
    const what = `${signal ? 'watching' : 'reading'} ${key || '(all keys)'}`;
    try {
      const consul = await getClient();
      const blocking = index === undefined ? {} : { index: String(index), wait: `${wait}ms` };
      const timeout = index === undefined ? readTimeout : wait + wait / 16 + readTimeout; // Consul adds up to wait/16 of jitter
      const [reply, pairs] = await request<KvPair[]>((ctx) => consul.kv.get({ key, recurse: true, ctx, timeout, ...blocking }), signal);
      requireLeader(reply, what);
      // Consul sends X-Consul-Index on every KV read, a 404 included; another HTTP server (a wrong port) does not.
      if (reply.headers['x-consul-index'] === undefined && !(await speaksConsul())) throw notConsul(what, context, undefined);
      const next = Number(reply.headers['x-consul-index']);
      // `consul` has already decoded the base64 values; a 404 (nothing under the prefix) leaves `pairs` undefined.
      return { snapshot: toSnapshot(pairs ?? [], [prefix], (v) => v), index: Number.isSafeInteger(next) ? next : undefined };
    } catch (error) {
      throw await classify(error, what, [key]);
    }
  }

  /** Several prefixes in read-only transactions: each transaction reads one snapshot of the store. */
  async function readTogether(prefixes: readonly string[], signal?: AbortSignal): Promise<Snapshot> {
    const out: Snapshot = new Map();
    const consul = await getClient();
    for (let i = 0; i < prefixes.length; i += maxTxnOps) {
      const chunk = prefixes.slice(i, i + maxTxnOps);
      const what = `reading ${chunk.map((p) => consulKey(p) || '(all keys)').join(', ')}`;
      try {
        const operations = chunk.map((p) => ({ KV: { Verb: 'get-tree', Key: consulKey(p) } }));
        const [reply, body] = await request<{ Results?: { KV?: KvPair }[] | null }>((ctx) =>
          consul.transaction.create(operations, { ctx, timeout: readTimeout }), signal,
        );
        requireLeader(reply, what);
        const pairs = (body?.Results ?? []).flatMap((r) => (r.KV ? [r.KV] : []));
        const read = toSnapshot(pairs, chunk, (b64) => Buffer.from(b64, 'base64').toString('utf8'));
        for (const [k, v] of read) out.set(k, v);
        // A transaction leaves out, without a word, the keys the token may not read: a prefix that came back
        // empty is read once on its own, which answers 403 when that is why (and 404 when it is truly empty).
        const chunkSet = new Set(chunk);
        const found = new Set<string | undefined>();
        for (const k of read.keys()) found.add(prefixOf(k, chunkSet));
        for (const p of chunk) if (!found.has(p)) await readPrefix(p, undefined, signal);
      } catch (error) {
        throw await classify(error, what, chunk.map(consulKey));
      }
    }
    return out;
  }

  async function getValues(prefixes: readonly string[]): Promise<Map<string, string>> {
    const covering = coveringPrefixes(prefixes);
    if (covering.length === 0) return new Map();
    // One covering prefix: one recursive read is one moment. Several: one read-only transaction per 64 prefixes
    // (Consul's limit), so up to 64 covering prefixes are read at one moment; more are read at a few moments.
    const snapshot = covering.length === 1 ? (await readPrefix(covering[0])).snapshot : await readTogether(covering);
    return new Map([...snapshot].map(([k, v]) => [k, v.value]));
  }

  /** One blocking query per covering prefix (Consul cannot block on several at once); they share one mirror. */
  async function watch(prefixes: readonly string[], { signal, onEvent }: WatchOptions): Promise<void> {
    const covering = coveringPrefixes(prefixes);
    const stop = new AbortController();
    const watching = AbortSignal.any([signal, closed.signal, stop.signal]);
    // One blocking query per prefix listens on it: 100 resources with a prefix each are 100 listeners, not a leak
    // (Node warned past 10, on stderr, which broke --log-format json).
    setMaxListeners(0, watching);
    // Several prefixes: their blocking queries only say that something changed; what is emitted is read for all
    // prefixes in one transaction, so that one wake-up never shows a consumer half of a write that spans them.
    const together: Together | undefined = covering.length < 2 ? undefined : {
      read: (s) => readTogether(covering, s),
      retry: (attempt, error, s) => retryWait(attempt, error, s),
      signal: watching,
    };
    const mirror = new WatchMirror(covering, onEvent, together);
    if (covering.length === 0) mirror.received('', new Map());
    const loops = covering.map((prefix) =>
      watchPrefix(prefix, mirror, watching).catch((error: unknown) => {
        stop.abort(); // one prefix gave up: end the others too
        throw error;
      }),
    );
    const results = await Promise.allSettled(loops);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (covering.length === 0 && !watching.aborted) await new Promise((resolve) => watching.addEventListener('abort', resolve, { once: true }));
  }

  async function watchPrefix(prefix: string, mirror: WatchMirror, signal: AbortSignal): Promise<void> {
    let index: number | undefined; // undefined: read at once, without blocking
    let attempt = 0;
    let downSince: number | undefined;
    while (!signal.aborted) {
      let read: Awaited<ReturnType<typeof readPrefix>>;
      try {
        read = await readPrefix(prefix, index, signal);
      } catch (error) {
        if (signal.aborted) return;
        const lost = failure(error, `watching ${consulKey(prefix) || '(all keys)'}`, [consulKey(prefix)]);
        mirror.failed(prefix, lost);
        downSince ??= Date.now();
        const left = options.retryTimeout === undefined ? Infinity : options.retryTimeout - (Date.now() - downSince);
        if (left <= 0) {
          throw new BackendError(name, `gave up after ${options.retryTimeout}ms without reaching ${address} (--backend-retry-timeout): ${lost.message}`, { cause: lost, permanent: lost.permanent });
        }
        index = undefined; // after an outage, read at once so that the fresh reset is not held back by a blocking wait
        await retryWait(attempt++, lost, signal, left);
        continue;
      }
      attempt = 0;
      downSince = undefined;
      mirror.received(prefix, read.snapshot);
      // Consul's rules for blocking indexes: reset to 0 when it goes backwards, to 1 when it is not positive;
      // and whatever brought no newer index (the wait passed, or a bad index) must not spin: pause first.
      const next = read.index;
      const advanced = next !== undefined && next > 0 && (index === undefined || next > index);
      if (next === undefined) index = undefined;
      else if (index !== undefined && next < index) index = 0;
      else index = Math.max(next, 1);
      if (!advanced) await pause(minPause, signal);
    }
  }

  /**
   * The wait before retrying after `error`: back within about probeInterval of the cluster having a leader, without
   * reading from a Consul that is down; a permanent error (permission denied, not Consul) waits out the backoff.
   */
  async function retryWait(attempt: number, error: BackendError, signal: AbortSignal, left = Infinity): Promise<boolean> {
    const delay = Math.min(retryDelay(attempt, backoff), left);
    if (error.permanent) return pause(delay, signal);
    return waitOrProbe(delay, async () => Boolean(await leaderReply()), probeInterval, signal);
  }

  /** /v1/status/leader's answer: a string (the leader's address, '' without one) from Consul, undefined otherwise. */
  async function leaderReply(): Promise<string | undefined> {
    try {
      const consul = await getClient();
      const [reply, leader] = await request<unknown>((ctx) => consul.status.leader({ ctx, timeout: probeTimeout }));
      // Any web server can answer 200 with a string body; Consul's is JSON.
      return String(reply.headers['content-type']).startsWith('application/json') && typeof leader === 'string' ? leader : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    name,
    canChange: true,
    getValues,
    watch,
    // Without enable_key_list_policy, Consul leaves out of a recursive read the keys a token may not read, without
    // an error: the hint says so, since nothing else can.
    hintForKey: (key: string) => `${hintCommand(options, baseUrl, key)}; with ACLs on, a token that may not read it sees it as missing (--token or CONSUL_HTTP_TOKEN)`,
    close(): Promise<void> {
      closing ??= (async () => {
        closed.abort();
        const consul = await client?.catch(() => undefined);
        consul?.destroy();
      })();
      return closing;
    },
  } satisfies Backend;
}
