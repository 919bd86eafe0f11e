// One suite every backend must pass, run against env, a real etcd and a real Consul.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backends/types.js';
import { whileWatching } from './lifecycle.js';
import { waitFor } from './util.js';

export interface ConformanceFixture {
  backend: Backend;
  /** Write a key straight into the store (absolute key such as `/app/db/host`). */
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  /** Remove every key the suite wrote. */
  clear(): Promise<void>;
}

// Keys use lower-case letters without `_` so that the env backend can represent them.
const seed: Record<string, string> = {
  '/cf/app/db/host': '127.0.0.1',
  '/cf/app/db/port': '3306',
  '/cf/app/name': 'demo',
  '/cf/apple/kind': 'fruit',
  '/cf/other/x': 'y',
};

export function backendConformance(
  name: string,
  setup: () => Promise<ConformanceFixture>,
  teardown?: () => Promise<void>,
  /** env cannot change by itself: the process environment is fixed while keyplate runs (a capability, not an error). */
  { canChange = true }: { canChange?: boolean } = {},
): void {
  describe(`backend conformance: ${name}`, () => {
    let fx: ConformanceFixture;

    beforeAll(async () => {
      fx = await setup();
      await fx.clear();
      for (const [k, v] of Object.entries(seed)) await fx.put(k, v);
    });
    afterAll(async () => {
      if (fx) {
        await fx.clear();
        await fx.backend.close();
        await fx.backend.close(); // idempotent
      }
      await teardown?.();
    });

    it('reads every key under a prefix, at `/` boundaries only', async () => {
      const values = await fx.backend.getValues(['/cf/app']);
      expect(Object.fromEntries(values)).toEqual({
        '/cf/app/db/host': '127.0.0.1',
        '/cf/app/db/port': '3306',
        '/cf/app/name': 'demo',
      });
    });

    it('reads an exact key given as a prefix', async () => {
      const values = await fx.backend.getValues(['/cf/app/name']);
      expect(Object.fromEntries(values)).toEqual({ '/cf/app/name': 'demo' });
    });

    it('reads several prefixes at once and tolerates a trailing slash', async () => {
      const values = await fx.backend.getValues(['/cf/apple/', '/cf/other']);
      expect(Object.fromEntries(values)).toEqual({ '/cf/apple/kind': 'fruit', '/cf/other/x': 'y' });
    });

    it('returns an empty map for a prefix with no keys (absent is not an error)', async () => {
      const values = await fx.backend.getValues(['/cf/nothing-here']);
      expect(values.size).toBe(0);
    });

    it('reads 200 keys under one prefix (more than one etcd transaction holds)', async () => {
      for (let i = 0; i < 200; i++) await fx.put(`/cf/many/k${i}`, `v${i}`);
      const values = await fx.backend.getValues(['/cf/many']);
      expect(values.size).toBe(200);
      expect(values.get('/cf/many/k199')).toBe('v199');
    });

    it('keeps values byte for byte (spaces, newlines, braces, unicode)', async () => {
      const tricky = ' {{x}} <&> "q" \n line2 ünïcödé ';
      await fx.put('/cf/tricky/v', tricky);
      const values = await fx.backend.getValues(['/cf/tricky']);
      expect(values.get('/cf/tricky/v')).toBe(tricky);
    });

    it(`says whether it can change by itself (${canChange ? 'it can' : 'it cannot'})`, () => {
      expect(fx.backend.canChange).toBe(canChange);
    });

    if (!canChange) {
      it('cannot change, and says so without failing: its watch gives one reset, then keeps still until stopped', async () => {
        await whileWatching(fx.backend, ['/cf/app'], async ({ events }) => {
          await waitFor(() => events.length > 0, 10_000, 'reset');
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect(events.map((e) => e.kind)).toEqual(['reset']);
        }, { keepOpen: true });
      });
      return;
    }

    it('watches: a reset first, then puts, updates and deletes under the prefix only', async () => {
      expect(fx.backend.watch).toBeTypeOf('function');
      await whileWatching(fx.backend, ['/cf/app'], async ({ events }) => {
        await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
        const reset = events.find((e) => e.kind === 'reset');
        expect(reset && reset.kind === 'reset' && Object.fromEntries(reset.values)).toEqual({
          '/cf/app/db/host': '127.0.0.1',
          '/cf/app/db/port': '3306',
          '/cf/app/name': 'demo',
        });
        await fx.put('/cf/app/db/user', 'admin');
        await fx.put('/cf/apple/kind', 'still fruit'); // outside the watched prefix
        await fx.put('/cf/app/db/port', '3307');
        await fx.del('/cf/app/name');
        await waitFor(() => events.some((e) => e.kind === 'delete'), 10_000, 'delete event');
        const changes = events.filter((e) => e.kind === 'put' || e.kind === 'delete');
        expect(changes).toEqual([
          { kind: 'put', key: '/cf/app/db/user', value: 'admin' },
          { kind: 'put', key: '/cf/app/db/port', value: '3307' },
          { kind: 'delete', key: '/cf/app/name' },
        ]);
      }, { keepOpen: true }); // the suite's later tests use the same backend
    });
  });
}
