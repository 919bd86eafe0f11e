// The Consul backend against real Consul agents: conformance, blocking queries, an agent restart, ACL tokens.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConsulBackend } from '../backends/consul.js';
import { BackendError, type BackendOptions, type WatchEvent } from '../backends/types.js';
import { backendConformance } from './conformance.js';
import { consulBinary, freePorts, startConsul, type ConsulAgent } from './servers/consul.js';
import { waitFor } from './util.js';
import { useConsul } from './lifecycle.js';

const options = (address: string, extra: Partial<BackendOptions> = {}): BackendOptions => ({
  nodes: [address],
  envFiles: [],
  environment: {},
  ...extra,
});

/** A watch whose events are kept, applied to a mirror, and which can be stopped. */
function startWatch(backend: ReturnType<typeof createConsulBackend>, prefixes: string[]) {
  const events: WatchEvent[] = [];
  const mirror = new Map<string, string>();
  const controller = new AbortController();
  const done = backend.watch!(prefixes, {
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.kind === 'reset') {
        mirror.clear();
        for (const [k, v] of e.values) mirror.set(k, v);
      } else if (e.kind === 'put') mirror.set(e.key, e.value);
      else if (e.kind === 'delete') mirror.delete(e.key);
    },
  });
  const count = (kind: WatchEvent['kind']) => events.filter((e) => e.kind === kind).length;
  return { events, mirror, controller, done, count, stop: async () => (controller.abort(), await done) };
}

// Conformance runs with ACLs on and the token taken from CONSUL_HTTP_TOKEN in the given environment.
let conformanceAgent: ConsulAgent | undefined;
backendConformance(
  'consul',
  async () => {
    const agent = (conformanceAgent = await startConsul({ aclToken: 'conformance-root-token' }));
    return {
      backend: createConsulBackend(options(agent.address, { environment: { CONSUL_HTTP_TOKEN: agent.token } })),
      put: (key, value) => agent.put(key, value),
      del: (key) => agent.del(key),
      clear: () => agent.del('/cf', true),
    };
  },
  async () => conformanceAgent?.stop(),
);

describe('consul: blocking queries', () => {
  const ctx = useConsul({}, { proxy: true });

  it('wakes within a round trip of a change, with one blocking request per change', async () => {
    await ctx.agent.put('/bq/app/a', '1');
    const backend = createConsulBackend(options(ctx.proxy.address));
    const w = startWatch(backend, ['/bq/app']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    await waitFor(() => ctx.proxy.inFlight === 1, 5_000, 'a blocking query in flight');
    const before = ctx.proxy.requests;
    const t0 = Date.now();
    await ctx.agent.put('/bq/app/a', '2');
    await waitFor(() => w.count('put') === 1, 5_000, 'put event');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(w.events.at(-1)).toEqual({ kind: 'put', key: '/bq/app/a', value: '2' });
    await waitFor(() => ctx.proxy.inFlight === 1, 5_000, 'the next blocking query');
    expect(ctx.proxy.requests - before).toBe(1);
    await w.stop();
    await backend.close();
  });

  it('emits nothing for a PUT of an unchanged value', async () => {
    await ctx.agent.put('/bq/same/a', 'x');
    const backend = createConsulBackend(options(ctx.agent.address));
    const w = startWatch(backend, ['/bq/same']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    await ctx.agent.put('/bq/same/a', 'x');
    await ctx.agent.put('/bq/same/sentinel', 'y'); // a real change after it: its event proves the first was seen and skipped
    await waitFor(() => w.count('put') > 0, 5_000, 'sentinel put');
    expect(w.events.slice(1)).toEqual([{ kind: 'put', key: '/bq/same/sentinel', value: 'y' }]);
    await w.stop();
    await backend.close();
  });

  it('does not spin when the wait passes without a change', async () => {
    const backend = createConsulBackend(options(ctx.proxy.address, { consulWait: 50 }));
    const w = startWatch(backend, ['/bq/idle']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    const [start, t0] = [ctx.proxy.requests, Date.now()];
    await waitFor(() => ctx.proxy.requests - start >= 2, 10_000, 'two more requests');
    // 50 ms waits would allow ~20 requests a second; the minimum pause allows about one.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(w.events).toHaveLength(1);
    await w.stop();
    await backend.close();
  });

  it('watches several prefixes: one reset with all of them, then changes under each, at `/` boundaries', async () => {
    await ctx.agent.put('/bq/multi/a/x', '1');
    await ctx.agent.put('/bq/multi/b/y', '2');
    await ctx.agent.put('/bq/multi/bb/z', '3');
    const backend = createConsulBackend(options(ctx.agent.address));
    const w = startWatch(backend, ['/bq/multi/a', '/bq/multi/b/']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    expect(Object.fromEntries(w.mirror)).toEqual({ '/bq/multi/a/x': '1', '/bq/multi/b/y': '2' });
    await ctx.agent.put('/bq/multi/bb/z', '4');
    await ctx.agent.put('/bq/multi/b/y', '5');
    await ctx.agent.del('/bq/multi/a/x');
    await waitFor(() => w.count('delete') === 1, 5_000, 'delete');
    await waitFor(() => w.mirror.get('/bq/multi/b/y') === '5', 5_000, 'put under b');
    expect(Object.fromEntries(w.mirror)).toEqual({ '/bq/multi/b/y': '5' });
    expect(w.events.filter((e) => e.kind === 'put')).toEqual([{ kind: 'put', key: '/bq/multi/b/y', value: '5' }]);
    await w.stop();
    await backend.close();
  });

  it('reads more prefixes than one transaction holds', async () => {
    for (let i = 0; i < 70; i++) await ctx.agent.put(`/bq/tx/p${i}/k`, `v${i}`);
    const backend = createConsulBackend(options(ctx.agent.address));
    const prefixes = Array.from({ length: 70 }, (_, i) => `/bq/tx/p${i}`);
    const values = await backend.getValues(prefixes);
    expect(values.size).toBe(70);
    expect(values.get('/bq/tx/p69/k')).toBe('v69');
    await backend.close();
  });

  it("the hint's command, pasted as shown, puts the key on the agent keyplate reads (not the CLI's default 127.0.0.1:8500)", async () => {
    // With TLS files the hint names them too (an https agent; not connected to here).
    const tls = createConsulBackend(options(`https://${ctx.agent.address}`, { clientCaKeys: '/etc/my ca.pem' }));
    expect(tls.hintForKey!('/hint/db host')).toMatch(new RegExp(`^consul kv put -http-addr=https://${ctx.agent.address.replace(/\./g, '\\.')} -ca-file='/etc/my ca.pem' 'hint/db host' <value>;`));
    await tls.close();
    const backend = createConsulBackend(options(ctx.agent.address));
    const hint = backend.hintForKey!('/hint/db host');
    expect(hint).toMatch(new RegExp(`^consul kv put -http-addr=http://${ctx.agent.address.replace(/\./g, '\\.')} 'hint/db host' <value>;`));
    // With a value for <value>: run it with Consul's own CLI.
    const command = hint.split(';')[0].replace('<value>', 'pasted');
    const run = spawnSync('/bin/sh', ['-c', command], { env: { PATH: `${path.dirname(consulBinary())}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect((await backend.getValues(['/hint'])).get('/hint/db host')).toBe('pasted');
    // A key that starts with `-` comes after `--`, or the CLI reads it as a flag.
    const dash = backend.hintForKey!('/-dash').split(';')[0].replace('<value>', 'd');
    expect(dash).toContain(' -- -dash d');
    const put = spawnSync('/bin/sh', ['-c', dash], { env: { PATH: `${path.dirname(consulBinary())}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(put.status, put.stderr).toBe(0);
    expect((await backend.getValues(['/-dash'])).get('/-dash')).toBe('d');
    await backend.close();
  });

  it('reads folders as confd does (path.Join): `dir/` is the key `…/dir`, empty unless it has a value; the exact key wins', async () => {
    await ctx.agent.put('/bq/folders/dir/', ''); // a folder, as the Consul UI makes them
    await ctx.agent.put('/bq/folders/dir/child', 'c');
    await ctx.agent.put('/bq/folders/empty', '');
    await ctx.agent.put('/bq/folders/valued/', 'folder value');
    await ctx.agent.put('/bq/folders/both', 'the key');
    await ctx.agent.put('/bq/folders/both/', ''); // sorts after `both`: confd's map would let it win
    const backend = createConsulBackend(options(ctx.agent.address));
    expect(Object.fromEntries(await backend.getValues(['/bq/folders']))).toEqual({
      '/bq/folders/dir': '',
      '/bq/folders/dir/child': 'c',
      '/bq/folders/empty': '',
      '/bq/folders/valued': 'folder value',
      '/bq/folders/both': 'the key',
    });
    await backend.close();
  });

  it('ends the in-flight blocking query when the signal aborts', async () => {
    const backend = createConsulBackend(options(ctx.proxy.address));
    const w = startWatch(backend, ['/bq/abort']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    await waitFor(() => ctx.proxy.inFlight === 1, 5_000, 'blocking query in flight');
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await waitFor(() => ctx.proxy.inFlight === 0, 5_000, 'no request left at the agent');
    await backend.close();
  });

  it('close() is idempotent, ends running watches, and refuses later reads', async () => {
    const backend = createConsulBackend(options(ctx.agent.address));
    const w = startWatch(backend, ['/bq/close']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'reset');
    const closing = backend.close();
    expect(backend.close()).toBe(closing);
    await closing;
    await w.done;
    await expect(backend.getValues(['/bq'])).rejects.toThrow(/^\[consul\] .*closed/);
  });
});

describe('consul: agent killed and restarted under a running watch', () => {
  const ctx = useConsul({ persistent: true }, { proxy: true });

  it('reports down and up once, resyncs with a reset, and backs off during the outage', async () => {
    await ctx.agent.put('/rs/app/keep', 'k');
    await ctx.agent.put('/rs/app/change', 'old');
    await ctx.agent.put('/rs/app/gone', 'g');
    const backend = createConsulBackend(options(ctx.proxy.address, { retryMin: 50, retryMax: 400 }));
    const w = startWatch(backend, ['/rs/app']);
    await waitFor(() => w.count('reset') === 1, 10_000, 'first reset');

    await ctx.agent.kill();
    await waitFor(() => w.count('status') === 1, 10_000, 'status down');
    const outageStart = [ctx.proxy.requests, Date.now()] as const;
    // Restart with the watch still cut off, change the store behind its back, then let it through.
    ctx.proxy.blocked = true;
    await ctx.agent.restart();
    await ctx.agent.put('/rs/app/change', 'new');
    await ctx.agent.del('/rs/app/gone');
    await ctx.agent.put('/rs/app/added', 'a');
    await waitFor(() => ctx.proxy.requests - outageStart[0] >= 3, 10_000, 'retries while cut off');
    const attempts = ctx.proxy.requests - outageStart[0];
    const outageMs = Date.now() - outageStart[1];
    ctx.proxy.blocked = false;

    await waitFor(() => w.count('reset') === 2, 10_000, 'reset after recovery');
    const statuses = w.events.filter((e) => e.kind === 'status');
    expect(statuses.map((e) => e.kind === 'status' && e.up)).toEqual([false, true]);
    const down = statuses[0];
    expect(down.kind === 'status' && down.error?.message).toMatch(/^\[consul\] watching rs\/app at 127\.0\.0\.1:\d+ failed/);
    // Backoff of 50..400 ms: a few attempts a second at most, never a hot loop.
    expect(attempts).toBeLessThanOrEqual(5 + outageMs / 100);

    await ctx.agent.put('/rs/app/after', 'z');
    await waitFor(() => w.mirror.has('/rs/app/after'), 5_000, 'put after recovery');
    expect(Object.fromEntries(w.mirror)).toEqual(Object.fromEntries(await backend.getValues(['/rs/app'])));
    expect(Object.fromEntries(w.mirror)).toEqual({ '/rs/app/keep': 'k', '/rs/app/change': 'new', '/rs/app/added': 'a', '/rs/app/after': 'z' });
    expect(w.count('status')).toBe(2);
    await w.stop();
    await backend.close();
  });
});

describe('consul: ACL tokens and errors', () => {
  const ctx = useConsul({ aclToken: 'acl-root-token' }, { seed: { '/acl/db/password': 'p@sSw0rd-secret' } });

  it('takes the token from options, else from CONSUL_HTTP_TOKEN; options win', async () => {
    const cases: [string, Partial<BackendOptions>][] = [
      ['options.token', { token: ctx.agent.token }],
      ['CONSUL_HTTP_TOKEN', { environment: { CONSUL_HTTP_TOKEN: ctx.agent.token } }],
      ['options over environment', { token: ctx.agent.token, environment: { CONSUL_HTTP_TOKEN: 'wrong' } }],
    ];
    for (const [what, extra] of cases) {
      const backend = createConsulBackend(options(ctx.agent.address, extra));
      expect(Object.fromEntries(await backend.getValues(['/acl'])), what).toEqual({ '/acl/db/password': 'p@sSw0rd-secret' });
      await backend.close();
    }
  });

  it('without a token: a BackendError that says what to do, never an empty result, never a value', async () => {
    const backend = createConsulBackend(options(ctx.agent.address));
    const error = await backend.getValues(['/acl']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^\\[consul\\] reading acl at ${ctx.agent.address} failed: permission denied .*CONSUL_HTTP_TOKEN`));
    expect(message).not.toContain('p@sSw0rd');

    const w = startWatch(backend, ['/acl']);
    await waitFor(() => w.count('status') === 1, 5_000, 'status down');
    expect(w.count('reset')).toBe(0);
    await w.stop();
    await backend.close();
  });

  it('an unreachable agent is a BackendError naming the address and what to do', async () => {
    const [port] = await freePorts(1);
    const backend = createConsulBackend(options(`127.0.0.1:${port}`));
    await expect(backend.getValues(['/a', '/b'])).rejects.toThrow(
      new RegExp(`^\\[consul\\] reading a, b at 127\\.0\\.0\\.1:${port} failed: ECONNREFUSED: nothing accepts connections there; start the Consul agent, or set --node to the address it listens on`),
    );
    await backend.close();
  });

  it('rejects a bad node address and names the key to put in its hint', () => {
    expect(() => createConsulBackend(options('ftp://127.0.0.1:8500'))).toThrow(/^\[consul\] bad node address `ftp:\/\/127\.0\.0\.1:8500`/);
    expect(createConsulBackend(options('127.0.0.1:8500')).hintForKey?.('/app/db/host')).toBe(
      'consul kv put app/db/host <value>; with ACLs on, a token that may not read it sees it as missing (--token or CONSUL_HTTP_TOKEN)',
    );
  });

});

describe('consul: an IPv6 node address', () => {
  const ctx = useConsul({ ipv6: true }, { seed: { '/six/a': 'v6' } });

  it('[::1]:port and http://[::1]:port reach the agent (the client kept the brackets and failed with ENOTFOUND)', async () => {
    const port = ctx.agent.address.split(':').pop();
    for (const node of [`[::1]:${port}`, `http://[::1]:${port}`]) {
      const backend = createConsulBackend(options(node));
      expect((await backend.getValues(['/six'])).get('/six/a')).toBe('v6');
      await backend.close();
    }
  });
});

describe('consul: TLS files with a plain HTTP node', () => {
  it('are refused, as etcd refuses them: they would be ignored and the agent read in the clear', () => {
    expect(() => createConsulBackend(options('127.0.0.1:8500', { clientCaKeys: '/etc/hostname' }))).toThrow(
      /^\[consul\] client TLS files are set but node 127\.0\.0\.1:8500 uses http:\/\/; write it as https:\/\/127\.0\.0\.1:8500 \(or add --scheme https\)/,
    );
  });
});
