// Per-resource quiescence (consul-template's `wait`). The first change after a quiet spell renders at once (latency);
// changes that follow within `minMs` of the last render are coalesced: fired after `minMs` of quiet, never later than
// `maxMs` after the first of them (storms).

import type { Quiescence } from '../resources/resource.js';

export type { Quiescence };

/** Fires `fire(key)` per key as the key's quiescence allows; keys are independent of each other. */
export class Debouncer<K> {
  readonly #timers = new Map<K, { timer: NodeJS.Timeout; first: number }>();
  readonly #lastFire = new Map<K, number>();

  constructor(private readonly fire: (key: K) => void) {}

  /** A change to `key` at `now` (ms since the epoch): fire at once after a quiet spell, else when the wait allows. */
  touch(key: K, wait: Quiescence, now = Date.now()): void {
    const existing = this.#timers.get(key);
    if (!existing && now - (this.#lastFire.get(key) ?? -Infinity) >= wait.minMs) {
      this.#fire(key, now);
      return;
    }
    const first = existing?.first ?? now;
    if (existing) clearTimeout(existing.timer);
    const delay = Math.max(0, Math.min(wait.minMs, first + wait.maxMs - now));
    const timer = setTimeout(() => this.#fire(key, Date.now()), delay);
    this.#timers.set(key, { timer, first });
  }

  /** `key`'s render starts now and reads every change so far: a timer still waiting for one of them is dropped. */
  cancel(key: K): void {
    const waiting = this.#timers.get(key);
    if (waiting) clearTimeout(waiting.timer);
    this.#timers.delete(key);
  }

  /**
   * `key`'s render has ended at `now`: the quiet spell counts from here, not from the fire. A render slower than
   * `minMs` would otherwise let every change that arrived during it fire at once, one render each (issue 13: 300
   * puts, 300 renders of 250 ms). A timer started during the render keeps running: that change comes after the read.
   */
  settled(key: K, now = Date.now()): void {
    this.#lastFire.set(key, now);
  }

  #fire(key: K, now: number): void {
    this.#timers.delete(key);
    this.#lastFire.set(key, now);
    this.fire(key);
  }

  /** How many keys wait for their timer. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Drop every waiting key without firing it. */
  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
