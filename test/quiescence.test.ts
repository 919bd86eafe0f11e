// Quiescence: immediate on a quiet change, coalesced within a burst, capped by max.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from '../src/runner/quiescence.js';

describe('Debouncer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  const wait = { minMs: 50, maxMs: 200 };

  it('fires at once for the first change after a quiet spell', () => {
    const fired: string[] = [];
    const d = new Debouncer<string>((k) => fired.push(k));
    d.touch('a', wait);
    expect(fired).toEqual(['a']);
  });

  it('coalesces a burst after a render into one trailing fire after min of quiet', () => {
    const fired: number[] = [];
    const d = new Debouncer<string>(() => fired.push(Date.now()));
    d.touch('a', wait); // immediate
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(10);
      d.touch('a', wait);
    }
    expect(fired).toHaveLength(1);
    vi.advanceTimersByTime(49);
    expect(fired).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(fired).toHaveLength(2);
  });

  it('never waits longer than max while changes keep coming', () => {
    const fired: number[] = [];
    const d = new Debouncer<string>(() => fired.push(Date.now()));
    const start = Date.now();
    d.touch('a', wait);
    for (let t = 0; t < 1000; t += 10) {
      vi.advanceTimersByTime(10);
      d.touch('a', wait);
    }
    // one immediate fire, then one every max (200ms) at most
    expect(fired.length).toBeGreaterThanOrEqual(5);
    expect(fired.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < fired.length; i++) expect(fired[i] - fired[i - 1]).toBeLessThanOrEqual(wait.maxMs + 10);
    expect(fired[0]).toBe(start);
  });

  it('keys are independent: one resource waiting never delays another', () => {
    const fired: string[] = [];
    const d = new Debouncer<string>((k) => fired.push(k));
    d.touch('a', wait);
    d.touch('a', wait); // pending
    d.touch('b', wait); // immediate
    expect(fired).toEqual(['a', 'b']);
    d.clear();
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['a', 'b']);
  });
});
