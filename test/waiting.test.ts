// The reminders of a wait for keys (src/runner/waiting.ts): every 10 s, each resource once it has waited a while,
// never "still waiting … after 1s" for a wait that began just before the shared interval's tick.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResourceState } from '../src/runner/state.js';
import { reminderEveryMs, Waiting } from '../src/runner/waiting.js';

afterEach(() => vi.useRealTimers());

/** Just what Waiting reads of a resource's state. */
function state(name: string): ResourceState {
  return { missing: [], loaded: { resource: { name, file: `/confdir/conf.d/${name}` } } } as unknown as ResourceState;
}

describe('reminders while resources wait for keys', () => {
  it('each wait is reminded of once it has lasted half the interval, with the time it really waited', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = { info: (m: string, f?: { resource?: string }) => lines.push(`${f?.resource}: ${m}`), error: () => {}, enabled: () => true } as never;
    const states = [state('a.toml'), state('b.toml')];
    const waiting = new Waiting({ log, keysCanArrive: true, states: () => states, synced: () => true, lastError: () => undefined, backendName: 'consul', giveUp: () => {}, goalReached: () => false });
    waiting.note(states[0], ['/a/x']);
    vi.advanceTimersByTime(reminderEveryMs - 1_000);
    waiting.note(states[1], ['/b/y']); // begins 1 s before the interval's first tick
    vi.advanceTimersByTime(1_000);
    expect(lines.filter((l) => l.includes('still waiting'))).toEqual(['a.toml: still waiting for /a/x after 10s']);
    vi.advanceTimersByTime(reminderEveryMs);
    expect(lines.filter((l) => l.includes('still waiting'))).toEqual([
      'a.toml: still waiting for /a/x after 10s',
      'a.toml: still waiting for /a/x after 20s',
      'b.toml: still waiting for /b/y after 11s',
    ]);
    waiting.close();
  });
});
