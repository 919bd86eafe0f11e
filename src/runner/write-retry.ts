// A resource whose write failed for a reason outside keyplate's inputs (its directory missing or not writable, a full
// or read-only disk, an owner it may not set) is tried again on a timer in watch mode: the user who follows the
// message ("create it") sees the file appear without touching a key. A render error or a failed check_cmd is not
// retried: the same values give the same result, and the next change renders it again anyway.
import { CheckError, WriteError } from '../errors.js';
import type { Logger } from '../ops/log.js';

/** First delay after a failed write (ms); it doubles after each failure, up to maxMs. */
export const writeRetryMinMs = 1_000;
/** The longest wait between two tries (ms): the error is logged at most this often once a failure persists. */
export const writeRetryMaxMs = 30_000;

/** While a failure persists, its error line is logged again this often at most (ms): the same line is not repeated. */
export const writeRetryRemindMs = 5 * 60_000;

/** Per-resource retry timers with their backoff. */
export class WriteRetry {
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  readonly #lastDelay = new Map<string, number>();
  readonly #logged = new Map<string, { message: string; at: number }>();

  /** @param retry makes `file` due again (called when its timer fires). */
  constructor(
    private readonly log: Pick<Logger, 'info'>,
    private readonly retry: (file: string) => void,
  ) {}

  /**
   * A pass of `resource` ended with `error` (undefined: it rendered or waits for keys): a write that failed for a
   * reason outside keyplate's inputs is tried again, said once per streak of failures; anything else settles it.
   */
  note(resource: { file: string; name: string }, error: Error | undefined): void {
    if (!(error instanceof WriteError) || error instanceof CheckError) return this.settled(resource.file);
    if (this.failed(resource.file) === writeRetryMinMs) {
      this.log.info(`trying the write again in ${writeRetryMinMs / 1000}s, then less often (at most every ${writeRetryMaxMs / 1000}s) until it succeeds`, { resource: resource.name });
    }
  }

  /** `file`'s write failed: try again after the next delay. Returns that delay (ms). */
  failed(file: string): number {
    clearTimeout(this.#pending.get(file)?.timer);
    const last = this.#lastDelay.get(file);
    const delayMs = last === undefined ? writeRetryMinMs : Math.min(last * 2, writeRetryMaxMs);
    this.#lastDelay.set(file, delayMs);
    const timer = setTimeout(() => {
      this.#pending.delete(file);
      this.retry(file);
    }, delayMs);
    this.#pending.set(file, { timer, delayMs });
    return delayMs;
  }

  /**
   * True when `message`, a write error of `file`, repeats the one its retry streak logged less than
   * writeRetryRemindMs ago (so the caller does not log it again); otherwise notes it as logged now.
   */
  quiet(file: string, message: string, now = Date.now()): boolean {
    const last = this.#logged.get(file);
    if (this.#lastDelay.has(file) && last?.message === message && now - last.at < writeRetryRemindMs) return true;
    this.#logged.set(file, { message, at: now });
    return false;
  }

  /** `file` wrote, or failed for a reason a retry cannot fix, or is gone: no timer, and the next failure starts over. */
  settled(file: string): void {
    this.#logged.delete(file);
    clearTimeout(this.#pending.get(file)?.timer);
    this.#pending.delete(file);
    this.#lastDelay.delete(file);
  }

  /** Drop every timer (the run ends). */
  clear(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}
