// Reconnect delays: capped exponential backoff with full jitter, as a pure function of the attempt; and the wait
// between two reconnect attempts, cut short by a cheap probe once the store may answer again.
import { setTimeout as sleep } from 'node:timers/promises';

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

/** Resolves true after `ms`, false as soon as `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * The wait before the next full reconnect attempt (a resync reads every watched key): `ms` of backoff, cut short
 * as soon as `probe` (a TCP connection, a leader query: cheap for a store that is down) says the store may answer.
 * The probe runs every `every` ms, so the store is read again within about `every` ms of coming back, while a
 * store that stays down only ever sees probes. Resolves false when `signal` aborts.
 */
export async function waitOrProbe(ms: number, probe: () => Promise<boolean>, every: number, signal: AbortSignal): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return !signal.aborted;
    if (!(await pause(Math.min(every, left), signal))) return false;
    if (left > every && (await probe())) return !signal.aborted;
  }
}
