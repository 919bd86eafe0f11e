// Reconnect delays: capped exponential backoff with full jitter, as a pure function of the attempt.

export interface Backoff {
  /** First delay (ms). */
  min: number;
  /** Ceiling (ms). */
  max: number;
}

export const defaultBackoff: Backoff = { min: 100, max: 10_000 };

/** Delay before retry number `attempt` (0-based): uniformly random in [base/2, base], base = min·2^attempt capped at max. */
export function retryDelay(attempt: number, backoff: Backoff = defaultBackoff, random: () => number = Math.random): number {
  const base = Math.min(backoff.max, backoff.min * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}
