// The one contract every backend implements: read prefixes at one moment, and (optionally) watch them.

/** A change seen by a watch. `reset` replaces everything under the watched prefixes (first sync, reconnect, compaction). */
export type WatchEvent =
  | { kind: 'reset'; values: Map<string, string> }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  /** The backend lost or regained its connection; `error` says why it was lost (never a value). */
  | { kind: 'status'; up: boolean; error?: Error };

export interface WatchOptions {
  /** Aborting stops the watch; the returned promise then resolves. */
  signal: AbortSignal;
  onEvent: (event: WatchEvent) => void;
}

export interface Backend {
  readonly name: string;
  /**
   * Every key at or under each prefix (absolute keys such as `/app/db/host`), read at one moment of the store.
   * Prefixes match at `/` boundaries: `/app` gives `/app` and `/app/x`, never `/apple`.
   * Throws a BackendError when the store cannot be read; never turns "could not read" into "empty".
   * The map is new on every call and the caller's to keep (the one-shot store takes it over, no copy).
   */
  getValues(prefixes: readonly string[]): Promise<Map<string, string>>;
  /**
   * Watch the prefixes until `signal` aborts. Emits `reset` first (a full snapshot), then `put`/`delete`,
   * and `status` on connection loss and recovery (followed by a fresh `reset`). Retries forever by itself.
   * Absent when the backend cannot change while keyplate runs (env): that is a capability, not an error.
   */
  watch?(prefixes: readonly string[], options: WatchOptions): Promise<void>;
  /** Human hint for a missing key, e.g. `set DATABASE_PORT`. */
  hintForKey?(key: string): string;
  /** Idempotent; returns the same promise every time. */
  close(): Promise<void>;
}

/** How to reach a backend: what the user sets with flags, KEYPLATE_* or keyplate.toml (src/config.ts extends it). */
export interface BackendConnection {
  nodes: string[];
  /** env backend: dotenv files whose variables fill in what the real environment lacks. */
  envFiles: string[];
  username?: string;
  password?: string;
  token?: string;
  /** Undefined: http, or https for etcd when client TLS files are given. */
  scheme?: 'http' | 'https';
  clientCaKeys?: string;
  clientCert?: string;
  clientKey?: string;
  clientInsecure?: boolean;
}

export const connectionKeys = [
  'nodes', 'envFiles', 'username', 'password', 'token', 'scheme', 'clientCaKeys', 'clientCert', 'clientKey', 'clientInsecure',
] as const satisfies readonly (keyof BackendConnection)[];

export interface BackendOptions extends BackendConnection {
  /** Retry delays for reconnecting watches. */
  retryMin?: number;
  retryMax?: number;
  /** Give up reconnecting after this many ms (undefined: retry forever). */
  retryTimeout?: number;
  /** Consul blocking query wait (ms). */
  consulWait?: number;
  environment?: NodeJS.ProcessEnv;
}

export class BackendError extends Error {
  /** True when retrying cannot help until the user changes something: permission denied, not that kind of server. */
  readonly permanent: boolean;
  constructor(backend: string, message: string, options?: { cause?: unknown; permanent?: boolean }) {
    super(`[${backend}] ${message}`, options);
    this.name = 'BackendError';
    this.permanent = options?.permanent ?? false;
  }
}

/** Normalise a prefix to an absolute key path without trailing slash ('/' for the root). */
export function normalizeKey(key: string): string {
  // Fast path: already absolute, no empty, `.` or trailing segments.
  if (key === '/' || (key.charCodeAt(0) === 47 && !/\/\/|\/\.(\/|$)|\/$/.test(key))) return key;
  let out = '';
  for (const part of key.split('/')) if (part !== '' && part !== '.') out += '/' + part;
  return out === '' ? '/' : out;
}

/** `key` under `prefix`, normalised: joinKey('/app', '/db/') is '/app/db'. The common shapes skip the split. */
export function joinKey(prefix: string, key: string): string {
  if (key === '' || key === '/') return normalizeKey(prefix);
  if (prefix === '' || prefix === '/') return normalizeKey(key);
  return normalizeKey(key.charCodeAt(0) === 47 ? prefix + key : `${prefix}/${key}`);
}

/** True when `key` is `prefix` or lies under it at a `/` boundary. */
export function isUnder(key: string, prefix: string): boolean {
  if (prefix === '/') return key.startsWith('/');
  return key === prefix || (key.startsWith(prefix) && key.charCodeAt(prefix.length) === 47 /* / */);
}

/** The smallest set of prefixes covering all given ones (`/app` covers `/app/db`), sorted. */
export function coveringPrefixes(prefixes: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const p of prefixes) all.add(normalizeKey(p));
  if (all.has('/')) return ['/'];
  // A prefix is dropped when one of its ancestors is in the set: a walk up its own path, not a scan of the others.
  const out: string[] = [];
  for (const p of all) {
    let covered = false;
    for (let i = p.lastIndexOf('/'); i > 0 && !covered; i = p.lastIndexOf('/', i - 1)) covered = all.has(p.slice(0, i));
    if (!covered) out.push(p);
  }
  return out.sort();
}
