// A Consul watch's view of its prefixes, turned into watch events (see WatchMirror).
import type { BackendError, WatchEvent } from './types.js';

/** One read of a prefix: each key's value and the index that last changed it (orders the events of one wake-up). */
export type Snapshot = Map<string, { value: string; modifyIndex: number }>;

/** How a watch of several prefixes reads them all at one moment, and waits before trying again. */
export interface Together {
  read(signal: AbortSignal): Promise<Snapshot>;
  retry(attempt: number, error: BackendError, signal: AbortSignal): Promise<boolean>;
  signal: AbortSignal;
}

/**
 * What a watch has seen, turned into events: one `reset` once every prefix has been read (again, after an outage),
 * then `put`/`delete` from diffing each new read against the last. With one prefix, each blocking query's answer is
 * that read. With several (`together`), an answer only marks a change: all prefixes are then read in one
 * transaction (one moment of the store) and the whole state diffed, one synchronous run of events per read.
 */
export class WatchMirror {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly failing = new Set<string>();
  private synced = false;
  private down = false;
  /** The state last emitted, when reading together. */
  private current: Snapshot = new Map();
  private reading = false;
  private again = false;

  constructor(
    private readonly prefixes: readonly string[],
    private readonly emit: (event: WatchEvent) => void,
    private readonly together?: Together,
  ) {}

  failed(prefix: string, error: Error): void {
    this.failing.add(prefix);
    this.synced = false;
    this.reportDown(error);
  }

  received(prefix: string, snapshot: Snapshot): void {
    const previous = this.snapshots.get(prefix);
    this.snapshots.set(prefix, snapshot);
    this.failing.delete(prefix);
    if (this.failing.size > 0 || this.snapshots.size < this.prefixes.length) return;
    if (this.together) {
      if (!this.synced || !previous || changed(previous, snapshot)) this.readTogether();
      return;
    }
    if (this.synced) {
      if (previous) this.emitDiff(previous, snapshot);
      return;
    }
    this.publish(snapshot);
  }

  private reportDown(error: Error): void {
    if (!this.down) {
      this.down = true;
      this.emit({ kind: 'status', up: false, error });
    }
  }

  /** A full state, after the first read or an outage: status up when it was down, then a reset. */
  private publish(state: Snapshot): void {
    if (this.down) {
      this.down = false;
      this.emit({ kind: 'status', up: true });
    }
    this.synced = true;
    const values = new Map<string, string>();
    for (const [k, v] of state) values.set(k, v.value);
    this.emit({ kind: 'reset', values });
  }

  /** One transaction over all prefixes, again while changes keep coming in meanwhile; retried while it fails. */
  private readTogether(): void {
    const together = this.together!;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void (async () => {
      for (let attempt = 0; !together.signal.aborted; ) {
        this.again = false;
        let state: Snapshot;
        try {
          state = await together.read(together.signal);
        } catch (error) {
          if (together.signal.aborted) break;
          this.synced = false;
          this.reportDown(error as Error);
          if (!(await together.retry(attempt++, error as BackendError, together.signal))) break;
          continue;
        }
        attempt = 0;
        if (this.synced && !this.down) this.emitDiff(this.current, state);
        else this.publish(state);
        this.current = state;
        if (!this.again) break;
      }
      this.reading = false;
    })();
  }

  private emitDiff(previous: Snapshot, current: Snapshot): void {
    // Several writes can land in one wake-up: emit them in the order Consul applied them.
    const puts = [...current].filter(([k, v]) => previous.get(k)?.value !== v.value);
    puts.sort((a, b) => a[1].modifyIndex - b[1].modifyIndex);
    for (const [key, v] of puts) this.emit({ kind: 'put', key, value: v.value });
    for (const key of previous.keys()) if (!current.has(key)) this.emit({ kind: 'delete', key });
  }
}

/** True when two reads of one prefix differ in a key or a value. */
function changed(before: Snapshot, after: Snapshot): boolean {
  if (before.size !== after.size) return true;
  for (const [k, v] of after) if (before.get(k)?.value !== v.value) return true;
  return false;
}
