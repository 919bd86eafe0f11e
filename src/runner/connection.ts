// The backend's state as the runner follows it, and what the log says about it: at once when it cannot be reached
// (naming the node and the error), then a reminder every 10 s until it first answers; after that one line when it is
// lost, one when it is back, and a reminder every 30 s while it stays away.
import { formatDuration } from '../config/duration.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import { reminderEveryMs } from './waiting.js';

/** A BackendError marked permanent (backends/types.ts): retrying cannot help until the user changes something. */
function isPermanent(error: Error | undefined): boolean {
  return (error as { permanent?: boolean } | undefined)?.permanent === true;
}

/** Reminder interval while a backend that had answered stays away. */
export const outageReminderEveryMs = 30_000;

/**
 * A backend that neither answers nor fails this long after the sources start (a port that accepts connections and
 * sends nothing: a firewall, a frozen server) is said to be silent, as a refused connection is said to be down.
 */
export const silentAfterMs = 5_000;

/** What Connection needs from the runner. */
export interface ConnectionOptions {
  log: Logger;
  /** The backend's name (`etcd`) and how logs name it with its nodes (`etcd (http://127.0.0.1:2379)`). */
  name: string;
  label: string;
  events?: AgentEvents;
  /** What ends the retrying before the first answer (--wait-timeout, --backend-retry-timeout), as the log says it. */
  until?: string;
}

/** How the first warning says when retrying stops: the timeouts set, or that it goes on until the backend answers. */
export function retryingUntil(waitTimeoutMs: number | undefined, backendRetryTimeoutMs: number | undefined): string {
  const ends = [
    ...(waitTimeoutMs === undefined ? [] : [`--wait-timeout (${formatDuration(waitTimeoutMs)})`]),
    ...(backendRetryTimeoutMs === undefined ? [] : [`--backend-retry-timeout (${formatDuration(backendRetryTimeoutMs)})`]),
  ];
  return ends.length > 0 ? `until it answers or ${ends.join(' or ')} runs out` : 'until it answers (set --wait-timeout to give up sooner)';
}

/** Up or down, answered yet or not, since when, and why. */
export class Connection {
  /** The backend answers. False until it first does. */
  up = false;
  /** Its values are in the key store (a reset arrived since the sources last started). */
  synced = false;
  /** It has answered at least once since keyplate started. */
  answeredOnce = false;
  /** Why it was last lost (never a value). */
  lastError?: Error;
  #downSince?: number;
  #reminder?: NodeJS.Timeout;
  #silence?: NodeJS.Timeout;

  constructor(private readonly options: ConnectionOptions) {}

  /** The sources start (again): before the first answer, silence past silentAfterMs is said once, then reminded. */
  expectAnswer(): void {
    clearTimeout(this.#silence);
    if (this.answeredOnce) return;
    this.#silence = setTimeout(() => {
      if (this.answeredOnce || this.#downSince !== undefined) return;
      const { log, label } = this.options;
      log.warn(`backend ${label} has not answered in ${formatDuration(silentAfterMs)}; check --node and that the backend is running; waiting ${this.options.until ?? retryingUntil(undefined, undefined)}`);
      this.up = false;
      this.#downSince = Date.now() - silentAfterMs;
      this.#reminder = setInterval(() => this.#remind(), reminderEveryMs).unref();
    }, silentAfterMs).unref();
  }

  /** The backend answered with its values (a reset). */
  answered(): void {
    clearTimeout(this.#silence);
    if (!this.up) this.#setUp();
    this.synced = true;
    this.answeredOnce = true;
  }

  /** The sources restart (the confdir now needs other prefixes): the values must come again. */
  resync(): void {
    this.synced = false;
  }

  /** A `status` event from a source. */
  status(up: boolean, error?: Error): void {
    if (up) {
      if (!this.up) this.#setUp();
      return;
    }
    clearTimeout(this.#silence);
    const wasSilent = this.#downSince !== undefined && this.lastError === undefined;
    this.lastError = error ?? this.lastError;
    if (!this.up && this.#downSince !== undefined && !wasSilent) return; // already said
    this.up = false;
    this.#downSince ??= Date.now();
    clearInterval(this.#reminder);
    this.options.events?.emit('backend', { up: false });
    const { log, name, label } = this.options;
    const why = error?.message ?? 'unknown error';
    // A permanent error (permission denied, wrong password, not that kind of server) is neither "cannot reach" nor
    // worth "retrying": before the first answer the runner gives up and says so; after it, the files stay.
    if (isPermanent(error)) {
      if (this.answeredOnce) log.warn(`backend ${name} lost (${why}); keeping the last good files until this is fixed`);
    } else if (this.answeredOnce) log.warn(`backend ${name} lost (${why}); keeping the last good files and retrying`);
    else log.warn(`cannot reach backend ${label}: ${why}; retrying ${this.options.until ?? retryingUntil(undefined, undefined)}`);
    const every = this.answeredOnce ? outageReminderEveryMs : reminderEveryMs;
    this.#reminder = setInterval(() => this.#remind(), every).unref();
  }

  #remind(): void {
    const { log, name, label } = this.options;
    const after = formatDuration(Math.round((Date.now() - this.#downSince!) / 1000) * 1000);
    const why = this.lastError?.message ?? 'no answer yet';
    if (isPermanent(this.lastError)) log.warn(`backend ${name} still refuses after ${after} (${why}); keeping the last good files`);
    else if (this.answeredOnce) log.warn(`backend ${name} still unreachable after ${after} (${why}); keeping the last good files`);
    else log.warn(`still cannot reach backend ${label} after ${after}: ${why}; retrying`);
  }

  #setUp(): void {
    const wasDown = this.#downSince !== undefined;
    const after = wasDown ? formatDuration(Math.round((Date.now() - this.#downSince!) / 1000) * 1000) : '';
    this.up = true;
    this.#downSince = undefined;
    clearInterval(this.#reminder);
    this.options.events?.emit('backend', { up: true });
    if (!wasDown) return;
    if (this.answeredOnce) this.options.log.info(`backend ${this.options.name} is back after ${after}; resynchronising`);
    else this.options.log.info(`reached backend ${this.options.label} after ${after}`);
  }

  /** Stop the reminders. */
  close(): void {
    clearTimeout(this.#silence);
    clearInterval(this.#reminder);
  }
}
