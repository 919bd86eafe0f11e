// Per-resource quiescence: render after `min` of quiet, never later than `max` after the first change.

export interface Quiescence {
  min: number;
  max: number;
}

export class Debouncer<K> {
  readonly #timers = new Map<K, { timer: NodeJS.Timeout; first: number }>();

  constructor(private readonly fire: (key: K) => void) {}

  /** Note a change for `key`; `fire(key)` runs once things have been quiet for `wait.min` (capped at `wait.max`). */
  touch(key: K, wait: Quiescence, now = Date.now()): void {
    const existing = this.#timers.get(key);
    const first = existing?.first ?? now;
    if (existing) clearTimeout(existing.timer);
    const delay = Math.max(0, Math.min(wait.min, first + wait.max - now));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.fire(key);
    }, delay);
    this.#timers.set(key, { timer, first });
  }

  get pending(): number {
    return this.#timers.size;
  }

  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
