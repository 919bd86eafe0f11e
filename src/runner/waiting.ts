// Waiting for keys: one line when a resource starts waiting and one when its keys arrive, a reminder every 10 s while
// it waits, and --wait-timeout, which bounds a start's wait for keys and for a backend that never answers.
import { formatDuration } from '../config/duration.js';
import { ExitCode } from '../errors.js';
import type { Logger } from '../ops/log.js';
import type { ResourceState } from './state.js';

/** How often a resource still waiting for keys, or a backend not yet reached, is mentioned again. */
export const reminderEveryMs = 10_000;

/** What Waiting needs from the runner. */
export interface WaitingOptions {
  log: Logger;
  /** --wait-timeout (ms), or undefined: wait as long as it takes. */
  waitTimeoutMs?: number;
  /** False when missing keys cannot arrive (--onetime with a backend that cannot change): nothing to wait for. */
  keysCanArrive: boolean;
  /** What to do about a missing key, from the backend: `set DATABASE_PORT`, `etcdctl put /db/port <value>`. */
  hint?: (key: string) => string;
  /** The resources now, for the reports. */
  states: () => readonly ResourceState[];
  /** True once the backend has answered with its values. */
  synced: () => boolean;
  /** Why the backend has not answered yet, when it said. */
  lastError: () => Error | undefined;
  /** Name of the backend for messages: `etcd`. */
  backendName: string;
  /** --wait-timeout ran out: end the run with `code`. */
  giveUp: (code: number) => void;
  /**
   * True once every resource has rendered (watch mode's goal; a command has started). --wait-timeout bounds a
   * start's wait only: a key deleted later is waited for as long as it takes, the files staying as they are.
   */
  goalReached: () => boolean;
}

/** Follows every resource's missing keys and says what it waits for. */
export class Waiting {
  readonly #timers = new Set<NodeJS.Timeout>();
  /** When each resource (by file) started waiting: a confdir edit that reloads it does not restart its clock. */
  readonly #since = new Map<string, number>();
  #reminder: NodeJS.Timeout | undefined;

  constructor(private readonly options: WaitingOptions) {}

  /** The run starts: --wait-timeout also bounds how long the backend may take to answer at all. */
  start(): void {
    const { waitTimeoutMs } = this.options;
    if (waitTimeoutMs === undefined) return;
    this.#timer(waitTimeoutMs, () => {
      if (this.options.synced()) return;
      const why = this.options.lastError();
      this.options.log.error(
        `gave up after ${formatDuration(waitTimeoutMs)}: no answer from backend ${this.options.backendName} yet, so no resource could render; ` +
          `check --node and that the backend is running${why ? ` (last error: ${why.message})` : ''}`,
      );
      this.options.giveUp(ExitCode.resourceFailed);
    });
  }

  /** A render of `state` found `missing` (empty: it had every key). Says what changed, once. */
  note(state: ResourceState, missing: readonly string[]): void {
    const before = state.missing;
    if (before.length === 0 && missing.length === 0) return; // the usual case: nothing to note, nothing to allocate
    state.missing = missing;
    if (!this.options.keysCanArrive) return;
    const resource = state.loaded.resource.name;
    const arrived = before.filter((k) => !missing.includes(k));
    if (missing.length === 0) {
      state.missingSince = undefined;
      this.#since.delete(state.loaded.resource.file);
      if (arrived.length > 0) this.options.log.info(`${list(arrived)} arrived`, { resource, keys: arrived });
      return;
    }
    if (missing.join('\n') !== before.join('\n')) {
      const also = arrived.length > 0 ? ` (${list(arrived)} arrived)` : '';
      this.options.log.info(`waiting for ${missing.join(', ')}${also}`, { resource, keys: [...missing] });
    }
    if (state.missingSince === undefined) this.#startWaiting(state);
  }

  #startWaiting(state: ResourceState): void {
    const file = state.loaded.resource.file;
    const since = (state.missingSince = this.#since.get(file) ?? Date.now());
    this.#since.set(file, since);
    this.#reminder ??= setInterval(() => this.#remind(), reminderEveryMs).unref();
    const { waitTimeoutMs } = this.options;
    if (waitTimeoutMs === undefined || this.options.goalReached()) return;
    this.#timer(Math.max(0, since + waitTimeoutMs - Date.now()), () => {
      // Still this wait: the keys did not arrive, no confdir edit replaced or dropped the resource, and the start's
      // goal was not reached meanwhile by other means.
      if (state.missingSince !== since || state.missing.length === 0 || !this.options.states().includes(state) || this.options.goalReached()) return;
      this.options.log.error(`gave up waiting for keys after ${formatDuration(waitTimeoutMs)}:\n${this.report()}`, { keys: this.#allMissing() });
      this.options.giveUp(ExitCode.missingKeys);
    });
  }

  #remind(): void {
    const now = Date.now();
    for (const s of this.options.states()) {
      // The interval is shared: a wait that began just before this tick is reminded of at the next one, not after 1s.
      if (s.missing.length === 0 || s.missingSince === undefined || now - s.missingSince < reminderEveryMs / 2) continue;
      const waited = formatDuration(Math.round((now - s.missingSince) / 1000) * 1000);
      this.options.log.info(`still waiting for ${s.missing.join(', ')} after ${waited}`, { resource: s.loaded.resource.name, keys: s.missing });
    }
  }

  /** `app.toml: missing /database/port (set DATABASE_PORT)`: every missing key, one line each. */
  report(): string {
    const hint = this.options.hint;
    return this.options
      .states()
      .flatMap((s) => s.missing.map((k) => `${s.loaded.resource.name}: missing ${k}${hint && k.startsWith('/') ? ` (${hint(k)})` : ''}`))
      .join('\n');
  }

  #allMissing(): string[] {
    return this.options.states().flatMap((s) => s.missing);
  }

  #timer(ms: number, fire: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fire();
    }, ms);
    this.#timers.add(timer);
  }

  /** Stop every timer. */
  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearInterval(this.#reminder);
  }
}

/** `/a, /b`, as a log line lists keys. */
function list(keys: readonly string[]): string {
  return keys.join(', ');
}
