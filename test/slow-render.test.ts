// A slow render must not turn a burst into a queue (issue 13 item 2): while a resource renders, further changes mark
// it dirty once, and it renders again with the newest values when the render ends; health answers meanwhile, and
// SIGTERM is obeyed soon after the render in progress. Against real etcd, bounded: 20,000 keys, 100 puts.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useEtcd } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, readIfExists, startCli, waitFor } from './util.js';

afterEach(cleanupTemps);

const keyCount = 20_000;
const putCount = 100;

/** `rendered 1 resource in 251.3ms` lines of --log-level debug: one per render. */
function renderTimes(stderr: string): number[] {
  return [...stderr.matchAll(/rendered \d+ resources? in ([\d.]+)ms/g)].map((m) => Number(m[1]));
}

describe('etcd: a burst of changes during slow renders', () => {
  const ctx = useEtcd();

  async function seed(): Promise<void> {
    await ctx.client.delete().all();
    const keys = Array.from({ length: keyCount }, (_, i) => `/big/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 1000) {
      await Promise.all(keys.slice(i, i + 1000).map((k) => ctx.client.put(k).value('v')));
    }
  }

  /** A resource whose every render lists all 20,000 keys and does some work for each (a few hundred ms). */
  function slowConfdir(): string {
    return makeConfdir({
      'conf.d/big.toml': '[template]\nsrc = "big.tmpl"\ndest = "out/big.conf"\nkeys = ["/big"]\n',
      'templates/big.tmpl':
        '{{#each (gets "/big/*")}}{{base key}}={{value}} {{toUpper (base64Encode (join (split (printf "%s-%s-%s" key value key) "-") "+"))}} {{toLower (base64Encode (printf "%s%s%s" value key value))}} {{reverse (split key "/")}}\n{{/each}}',
    });
  }

  it(`${putCount} quick puts give a few renders, the last value lands, /healthz answers throughout`, { timeout: 120_000 }, async () => {
    await seed();
    const dir = slowConfdir();
    const out = path.join(dir, 'out/big.conf');
    const args = ['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--log-level', 'debug', '--metrics-addr', '127.0.0.1:0', '--wait-min', '20ms', '--wait-max', '200ms'];
    const kp = startCli(args, { env: baseEnv() });
    try {
      await waitFor(() => readIfExists(out).startsWith('k00000=v ') && renderTimes(kp.out.stderr).length > 0, 60_000, 'the first render');
      const url = /operations server listening on (http:\/\/\S+)/.exec(kp.out.stderr)![1].replace(/\/$/, '');
      const first = renderTimes(kp.out.stderr);
      expect(first).toHaveLength(1);
      // The render is slow enough that the burst below overlaps several of them.
      expect(first[0]).toBeGreaterThan(80);

      let probes = 0;
      let healthy = 0;
      let bursting = true;
      const prober = (async () => {
        while (bursting) {
          probes++;
          const started = Date.now();
          const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
          // Answered within a render and a half: the loop serves it between renders, never after the queue.
          if (r?.status === 200 && Date.now() - started < first[0] * 1.5 + 200) healthy++;
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      const burstStarted = Date.now();
      // A put every ~10 ms: the burst spans several renders.
      for (let i = 1; i <= putCount; i++) {
        await ctx.client.put('/big/k00000').value(`n${i}`);
        await new Promise((res) => setTimeout(res, 10));
      }
      const putsMs = Date.now() - burstStarted;
      await waitFor(() => readIfExists(out).startsWith(`k00000=n${putCount} `), 60_000, 'the last value on disk');
      const lag = Date.now() - burstStarted;
      bursting = false;
      await prober;

      const renders = renderTimes(kp.out.stderr).length - 1;
      // One render per render-time of burst, plus the one after it: far from one per put.
      const bound = Math.ceil(putsMs / first[0]) + 3;
      expect(renders, `${renders} renders for ${putCount} puts in ${putsMs}ms (render ${first[0]}ms, last value on disk after ${lag}ms)`).toBeLessThanOrEqual(Math.min(bound, 25));
      expect(probes).toBeGreaterThan(5);
      expect(healthy, `${healthy} of ${probes} /healthz probes answered in time`).toBe(probes);
    } finally {
      kp.child.kill('SIGTERM');
    }
    expect((await kp.exited).code).toBe(0);
  });

  it('SIGTERM during a burst of slow renders ends keyplate within 200 ms of the render in progress', { timeout: 120_000 }, async () => {
    await seed();
    const dir = slowConfdir();
    const out = path.join(dir, 'out/big.conf');
    const args = ['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--log-level', 'debug', '--wait-min', '1ms', '--wait-max', '10ms'];
    const kp = startCli(args, { env: baseEnv() });
    await waitFor(() => readIfExists(out).startsWith('k00000=v ') && renderTimes(kp.out.stderr).length > 0, 60_000, 'the first render');
    const renderMs = renderTimes(kp.out.stderr)[0];
    for (let i = 1; i <= putCount; i++) await ctx.client.put('/big/k00000').value(`n${i}`);
    await waitFor(() => renderTimes(kp.out.stderr).length >= 2, 30_000, 'a second render');
    const sent = Date.now();
    kp.child.kill('SIGTERM');
    const { code } = await kp.exited;
    const took = Date.now() - sent;
    expect(code).toBe(0);
    // At worst the render in progress finishes (plus its write), then keyplate stops.
    expect(took, `stopped ${took}ms after SIGTERM (a render takes ${renderMs}ms)`).toBeLessThan(renderMs * 1.5 + 200);
  });
});
