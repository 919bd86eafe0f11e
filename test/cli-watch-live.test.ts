// Live config against real etcd and Consul: the CLI as a user runs it, with the servers started here.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { useConsul, useEtcd, useEtcdCluster } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, readIfExists, runCli, startCli, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

const lines = (text: string, pattern: RegExp): number => text.split('\n').filter((l) => pattern.test(l)).length;

const twoResources = {
  'conf.d/web.toml': '[template]\nsrc = "web.tmpl"\ndest = "out/web.conf"\nprefix = "/app"\nkeys = ["/web"]\nreload_cmd = "echo web >> reloads.log"\n',
  'templates/web.tmpl': 'upstreams:\n{{#each (gets "/web/upstream/*")}}  {{base key}} {{value}}\n{{/each}}port={{getv "/web/port" "80"}}\n',
  'conf.d/db.toml': '[template]\nsrc = "db.tmpl"\ndest = "out/db.conf"\nprefix = "/app"\nkeys = ["/db"]\nreload_cmd = "echo db >> reloads.log"\n',
  'templates/db.tmpl': 'host={{getv "/db/host"}}\n',
};

describe('etcd: watch mode', () => {
  const ctx = useEtcd();

  it('puts, updates and deletes arrive; only the touched resource re-renders and reloads', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/web/upstream/a').value('10.0.0.1');
    await ctx.client.put('/app/db/host').value('db1');
    const dir = makeConfdir(twoResources);
    const web = path.join(dir, 'out/web.conf');
    const db = path.join(dir, 'out/db.conf');
    const { code } = await whileRunning(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '20ms'], { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(web) === 'upstreams:\n  a 10.0.0.1\nport=80\n' && readIfExists(db) === 'host=db1\n', 10_000, 'first render');
      const dbStat = statSync(db);
      await ctx.client.put('/app/web/upstream/b').value('10.0.0.2');
      await waitFor(() => readIfExists(web).includes('  b 10.0.0.2\n'), 5_000, 'put');
      await ctx.client.put('/app/web/upstream/a').value('10.0.0.9');
      await waitFor(() => readIfExists(web).includes('  a 10.0.0.9\n'), 5_000, 'update');
      await ctx.client.delete().key('/app/web/upstream/b');
      await waitFor(() => readIfExists(web) === 'upstreams:\n  a 10.0.0.9\nport=80\n', 5_000, 'delete');
      await ctx.client.put('/app/web/port').value('8080');
      await waitFor(() => readIfExists(web).endsWith('port=8080\n'), 5_000, 'default replaced');
      // db.conf was never touched by web's changes, nor was its reload_cmd run again.
      expect(statSync(db).mtimeMs).toBe(dbStat.mtimeMs);
      const reloads = (): string[] => readIfExists(path.join(dir, 'reloads.log')).split('\n').filter(Boolean);
      await waitFor(() => reloads().filter((r) => r === 'web').length === 5, 5_000, 'five web reloads');
      expect(reloads().filter((r) => r === 'db')).toHaveLength(1);
    });
    expect(code).toBe(0);
  });

  it('--onetime waits for a key that arrives later, saying which, then writes and exits 0', async () => {
    await ctx.client.delete().all();
    const dir = makeConfdir(twoResources);
    await ctx.client.put('/app/web/upstream/a').value('x');
    const kp = startCli(['--onetime', '--backend', 'etcdv3', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { cwd: dir, env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('db.toml: waiting for /app/db/host'), 10_000, 'waiting line');
    await waitFor(() => readIfExists(path.join(dir, 'out/web.conf')).includes('a x'), 5_000, 'the other resource carries on');
    expect(existsSync(path.join(dir, 'out/db.conf'))).toBe(false);
    await ctx.client.put('/app/db/host').value('late');
    const { code } = await kp.exited;
    expect(code).toBe(0);
    expect(readIfExists(path.join(dir, 'out/db.conf'))).toBe('host=late\n');
  });

  it('--wait-timeout gives up with exit 3 and lists every missing key', async () => {
    await ctx.client.delete().all();
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/svc"]\n',
      'templates/a.tmpl': '{{getv "/svc/host"}}:{{getv "/svc/port"}}\n',
    });
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-timeout', '3s'], { env: baseEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/gave up waiting for keys after 3s:\na\.toml: missing \/svc\/host \(etcdctl .*put \/svc\/host <value>\)\na\.toml: missing \/svc\/port/);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });

  it('a storm of 2,000 puts to one key ends in the last value with a handful of writes and reloads', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/storm/v').value('0');
    const dir = makeConfdir({
      'conf.d/s.toml': '[template]\nsrc = "s.tmpl"\ndest = "out/s"\nkeys = ["/storm"]\nreload_cmd = "echo r >> reloads.log"\n',
      'templates/s.tmpl': '{{getv "/storm/v"}}\n',
    });
    await whileRunning(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '50ms', '--wait-max', '500ms'], { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(path.join(dir, 'out/s')) === '0\n', 10_000, 'first render');
      for (let i = 1; i <= 2000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => ctx.client.put('/storm/v').value(String(i + j))));
      }
      await ctx.client.put('/storm/v').value('final');
      await waitFor(() => readIfExists(path.join(dir, 'out/s')) === 'final\n', 10_000, 'last value');
      const reloads = readIfExists(path.join(dir, 'reloads.log')).split('\n').filter(Boolean).length;
      expect(reloads).toBeLessThan(30);
    });
  });

  it('etcd killed and restarted: files stay as they were, one line per state change, changes around the outage arrive', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/db/host').value('before');
    const dir = makeConfdir(twoResources);
    const db = path.join(dir, 'out/db.conf');
    await whileRunning(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(db) === 'host=before\n', 10_000, 'first render');
      await ctx.client.put('/app/db/host').value('just-before-kill');
      await ctx.etcd.members[0].kill();
      await new Promise((r) => setTimeout(r, 1500));
      expect(readIfExists(db)).toMatch(/^host=(before|just-before-kill)\n$/); // never emptied
      await ctx.etcd.members[0].restart({ waitHealthy: true });
      const c2 = new Etcd3({ hosts: ctx.etcd.endpoints });
      await c2.put('/app/db/host').value('after-restart');
      c2.close();
      await waitFor(() => readIfExists(db) === 'host=after-restart\n', 20_000, 'change after restart');
      await waitFor(() => /backend etcd is back/.test(kp.out.stderr), 20_000, 'back line');
      expect(lines(kp.out.stderr, /backend etcd lost/)).toBe(1);
      expect(lines(kp.out.stderr, /backend etcd is back/)).toBe(1);
    });
    ctx.client.close();
    ctx.client = new Etcd3({ hosts: ctx.etcd.endpoints });
  });
});

describe('etcd: --interval polls instead of watching', () => {
  const ctx = useEtcd();

  it('picks up changes on the next poll and re-renders only what they touch', async () => {
    await ctx.client.put('/app/db/host').value('db1');
    await ctx.client.put('/app/web/upstream/a').value('w1');
    const dir = makeConfdir(twoResources);
    const db = path.join(dir, 'out/db.conf');
    const { code } = await whileRunning(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--interval', '0.2'], { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(db) === 'host=db1\n' && readIfExists(path.join(dir, 'out/web.conf')).includes('a w1'), 10_000, 'first render');
      const webStat = statSync(path.join(dir, 'out/web.conf'));
      await ctx.client.put('/app/db/host').value('db2');
      await waitFor(() => readIfExists(db) === 'host=db2\n', 5_000, 'poll');
      await new Promise((r) => setTimeout(r, 500)); // a few more polls with nothing new
      expect(statSync(path.join(dir, 'out/web.conf')).mtimeMs).toBe(webStat.mtimeMs);
      expect(readIfExists(path.join(dir, 'reloads.log')).split('\n').filter(Boolean).sort()).toEqual(['db', 'db', 'web']);
    });
    expect(code).toBe(0);
  });
});

describe('etcd: a three-member cluster', () => {
  const ctx3 = useEtcdCluster(3);

  it('keeps following changes when the member keyplate talks to is stopped', async () => {
    const client = new Etcd3({ hosts: ctx3.cluster.endpoints.slice(1) });
    await client.put('/c/v').value('1');
    const dir = makeConfdir({
      'conf.d/c.toml': '[template]\nsrc = "c.tmpl"\ndest = "out/c"\nkeys = ["/c"]\n',
      'templates/c.tmpl': '{{getv "/c/v"}}\n',
    });
    const args = ['--backend', 'etcd', '--confdir', dir, ...ctx3.cluster.endpoints.flatMap((e) => ['--node', e])];
    const kp = startCli(args, { env: baseEnv() });
    try {
      await waitFor(() => readIfExists(path.join(dir, 'out/c')) === '1\n', 10_000, 'first render');
      await ctx3.cluster.members[0].kill();
      await client.put('/c/v').value('2');
      await waitFor(() => readIfExists(path.join(dir, 'out/c')) === '2\n', 20_000, 'change after member stopped');
    } finally {
      kp.child.kill('SIGTERM');
      client.close();
    }
    expect((await kp.exited).code).toBe(0);
  });
});

describe('Consul: watch mode', () => {
  const ctx = useConsul({ persistent: true });

  it('follows puts and deletes, waits for a missing key, and survives an agent restart', async () => {
    await ctx.agent.put('/app/web/upstream/a', '10.0.0.1');
    const dir = makeConfdir(twoResources);
    const web = path.join(dir, 'out/web.conf');
    const db = path.join(dir, 'out/db.conf');
    const { code } = await whileRunning(['--backend', 'consul', '--node', ctx.agent.address, '--confdir', dir], { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(web).includes('a 10.0.0.1'), 10_000, 'first render');
      await waitFor(() => kp.out.stderr.includes('db.toml: waiting for /app/db/host'), 10_000, 'waiting line');
      await ctx.agent.put('/app/db/host', 'db1');
      await waitFor(() => readIfExists(db) === 'host=db1\n', 5_000, 'late key');
      await ctx.agent.put('/app/web/upstream/b', '10.0.0.2');
      await waitFor(() => readIfExists(web).includes('b 10.0.0.2'), 5_000, 'put');
      await ctx.agent.del('/app/web/upstream/a');
      await waitFor(() => !readIfExists(web).includes(' a '), 5_000, 'delete');

      await ctx.agent.kill();
      await waitFor(() => /backend consul lost/.test(kp.out.stderr), 15_000, 'lost line');
      expect(readIfExists(db)).toBe('host=db1\n');
      await ctx.agent.restart();
      await ctx.agent.put('/app/db/host', 'db2');
      await waitFor(() => readIfExists(db) === 'host=db2\n', 30_000, 'change after restart');
      expect(lines(kp.out.stderr, /backend consul lost/)).toBe(1);
    });
    expect(code).toBe(0);
  });
});

describe('an unreachable backend', () => {
  it('--onetime keeps trying, then --wait-timeout ends it with exit 1 (the backend failed) and says what to check', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n',
      'templates/a.tmpl': '{{getv "/a/b"}}\n',
    });
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', 'http://127.0.0.1:1', '--confdir', dir, '--wait-timeout', '1500ms'], { env: baseEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach backend etcd \(http:\/\/127\.0\.0\.1:1\): .*127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/gave up after 1\.5s: no answer from backend etcd yet, so no resource could render; check --node/);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });
});
