// Per-resource quiescence. The first change after a quiet spell renders at once (latency); changes that follow
// within `min` of the last render are coalesced: fired after `min` of quiet, never later than `max` (storms).

export interface Quiescence {
  min: number;
  max: number;
}

export class Debouncer<K> {
  readonly #timers = new Map<K, { timer: NodeJS.Timeout; first: number }>();
  readonly #lastFire = new Map<K, number>();

  constructor(private readonly fire: (key: K) => void) {}

  touch(key: K, wait: Quiescence, now = Date.now()): void {
    const existing = this.#timers.get(key);
    if (!existing && now - (this.#lastFire.get(key) ?? -Infinity) >= wait.min) {
      this.#fire(key, now);
      return;
    }
    const first = existing?.first ?? now;
    if (existing) clearTimeout(existing.timer);
    const delay = Math.max(0, Math.min(wait.min, first + wait.max - now));
    const timer = setTimeout(() => this.#fire(key, Date.now()), delay);
    this.#timers.set(key, { timer, first });
  }

  #fire(key: K, now: number): void {
    this.#timers.delete(key);
    this.#lastFire.set(key, now);
    this.fire(key);
  }

  get pending(): number {
    return this.#timers.size;
  }

  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
