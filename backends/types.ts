// The one contract every backend implements: read prefixes at one moment, and watch them.

/** A change seen by a watch. `reset` replaces everything under the watched prefixes (first sync, reconnect, compaction). */
export type WatchEvent =
  | { kind: 'reset'; values: Map<string, string> }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  /** The backend lost or regained its connection; `error` says why it was lost (never a value). */
  | { kind: 'status'; up: boolean; error?: Error };

/** What a watch is given: when to stop, and where its events go (called synchronously, in order). */
export interface WatchOptions {
  /** Aborting stops the watch; the returned promise then resolves. */
  signal: AbortSignal;
  onEvent: (event: WatchEvent) => void;
}

/** A source of key/value pairs: env, etcd or Consul (one file each in backends/, registered in backends/index.ts). */
export interface Backend {
  readonly name: string;
  /**
   * True when the values can change by themselves while keyplate runs: etcd and Consul, which others write to. False
   * for env, whose only changes are edits of its own --env-file files (its watch reports those). With a backend that
   * cannot change, `--onetime` reads once and reports missing keys at once instead of waiting for them.
   */
  readonly canChange: boolean;
  /**
   * Every key at or under each prefix (absolute keys such as `/app/db/host`), read at one moment of the store.
   * Prefixes match at `/` boundaries: `/app` gives `/app` and `/app/x`, never `/apple`.
   * Throws a BackendError when the store cannot be read; never turns "could not read" into "empty".
   * The map is new on every call and the caller's to keep (the one-shot store takes it over, no copy).
   */
  getValues(prefixes: readonly string[]): Promise<Map<string, string>>;
  /**
   * Watch the prefixes until `signal` aborts, then resolve. Emits `reset` first (a full snapshot), then `put`/`delete`,
   * and `status` on connection loss and recovery (followed by a fresh `reset`). Events that belong together (one
   * revision of the store) are emitted synchronously, one after another: the runner applies each before it renders.
   * Retries by itself; rejects with a BackendError only when it gives up (`retryTimeout`, or an error that is
   * `permanent`). A backend that cannot change emits one `reset`, then whatever its own files bring.
   */
  watch(prefixes: readonly string[], options: WatchOptions): Promise<void>;
  /**
   * The spelling under which the store holds an absolute key a template names, when the backend's mapping makes
   * several spellings one key (env: `/kafka/broker_id` and `/Kafka/Broker/Id` are `/kafka/broker/id`, variable
   * KAFKA_BROKER_ID). Absent: every key is its own spelling.
   */
  keyOf?(key: string): string;
  /** Human hint for a missing key, e.g. `set DATABASE_PORT`. */
  hintForKey?(key: string): string;
  /** Idempotent; returns the same promise every time. */
  close(): Promise<void>;
}

/** How to reach a backend: what the user sets with flags, KEYPLATE_* or keyplate.toml (src/config/config.ts extends it). */
export interface BackendConnection {
  nodes: string[];
  /** env backend: dotenv files whose variables fill in what the real environment lacks. */
  envFiles: string[];
  /** Where envFiles were set, as an error's advice names it (`--env-file`, `KEYPLATE_ENV_FILE`, a keyplate.toml). */
  envFilesSetting?: string;
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

/** The BackendConnection fields by name, for copying them out of the settings. */
export const connectionKeys = [
  'nodes', 'envFiles', 'envFilesSetting', 'username', 'password', 'token', 'scheme', 'clientCaKeys', 'clientCert', 'clientKey', 'clientInsecure',
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
  /** Where a backend's warnings go (the runner's logger, so --log-format applies); default: a line on stderr. */
  warn?: (message: string) => void;
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
