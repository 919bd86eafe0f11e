// The run's lifecycle as a user meets it, keyplate run as a process against real etcd and Consul: stopping before the
// goal, a backend that cannot be reached or refuses, what the log says and when, how fast an idle watcher stops, and
// what /readyz says while it is not ready (issue 9's contract, items 1–7).
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { useConsul, useEtcd } from './lifecycle.js';
import { appConfdir, appFlags, baseEnv, cleanupTemps, makeConfdir, readIfExists, runCli, startCli, tempDir, waitFor, type RunningCli } from './util.js';

afterEach(cleanupTemps);

/** One resource reading /app (out/app.conf), for the etcd and Consul tests. */
const appResource = {
  'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
  'templates/app.tmpl': 'host={{getv "/app/host"}}\n',
};

/** Send `signal` and resolve with the exit code and how long the process took to exit after it (ms). */
async function stopWith(kp: RunningCli, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const sent = performance.now();
  // Already gone (its command ended it): nothing to wait for, and no 'exit' event will come again.
  if (kp.child.exitCode !== null || kp.child.signalCode !== null) return { code: (await kp.exited).code, ms: 0 };
  const exited = new Promise<number>((resolve) => kp.child.once('exit', () => resolve(performance.now())));
  kp.child.kill(signal);
  const at = await exited;
  const { code } = await kp.exited;
  return { code, ms: at - sent };
}

/** Lines of keyplate's log, without the level (`app.toml: waiting for /app/host`). */
function logLines(stderr: string): string[] {
  return stderr.split('\n').filter(Boolean).map((l) => l.replace(/^keyplate (DEBUG|INFO |WARN |ERROR) /, ''));
}

/** Nothing but the destination, if that: no stage file is left behind. */
function outFiles(dir: string): string[] {
  return readdirSync(path.join(dir, 'out'));
}

describe('a stop signal before the run reached its goal (etcd)', () => {
  const ctx = useEtcd();

  it('--onetime waiting for keys: SIGTERM exits 143, nothing written', async () => {
    await ctx.client.delete().all();
    const dir = makeConfdir(appResource);
    const kp = startCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('app.toml: waiting for /app/host'), 10_000, 'waiting line');
    const { code } = await stopWith(kp, 'SIGTERM');
    expect(code).toBe(143);
    expect(outFiles(dir)).toEqual([]);
  });

  it('--onetime -- command waiting for keys: Ctrl-C (SIGINT) exits 130 and the command never starts', async () => {
    await ctx.client.delete().all();
    const dir = makeConfdir(appResource);
    const marker = path.join(dir, 'started');
    const kp = startCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--', 'touch', marker], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('waiting for /app/host'), 10_000, 'waiting line');
    const { code } = await stopWith(kp, 'SIGINT');
    expect(code).toBe(130);
    expect(existsSync(marker)).toBe(false);
    expect(kp.out.stderr).toContain('not starting touch: stopped by SIGINT');
    expect(outFiles(dir)).toEqual([]);
  });

  it('all events of one etcd revision are applied before a render: two keys put in one transaction never render apart', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/pair/a').value('0');
    await ctx.client.put('/pair/b').value('0');
    const dir = makeConfdir({
      'conf.d/pair.toml': '[template]\nsrc = "pair.tmpl"\ndest = "out/pair"\nkeys = ["/pair"]\ncheck_cmd = "cat {{src}} >> versions.log"\n',
      'templates/pair.tmpl': '{{getv "/pair/a"}} {{getv "/pair/b"}}\n',
    });
    const kp = startCli(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '0s', '--wait-max', '0s'], { env: baseEnv(), cwd: dir });
    try {
      await waitFor(() => readIfExists(path.join(dir, 'out/pair')) === '0 0\n', 10_000, 'first render');
      for (let i = 1; i <= 60; i++) {
        await ctx.client.stm().transact((tx) => Promise.all([tx.put('/pair/a').value(String(i)), tx.put('/pair/b').value(String(i))]));
      }
      await waitFor(() => readIfExists(path.join(dir, 'out/pair')) === '60 60\n', 10_000, 'last pair');
    } finally {
      await stopWith(kp, 'SIGTERM');
    }
    const versions = readIfExists(path.join(dir, 'versions.log')).split('\n').filter(Boolean);
    expect(versions.length).toBeGreaterThan(1);
    for (const v of versions) expect(v).toMatch(/^(\d+) \1$/);
  });
});

describe('a stop signal before the command started (env, watch mode)', () => {
  it('SIGTERM exits 143 and the command never starts', async () => {
    const dir = appConfdir({ env: 'APP_OTHER=x\n' });
    const marker = path.join(dir, 'started');
    const kp = startCli([...appFlags(dir), '--', 'touch', marker], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('app.toml: waiting for /app/port'), 10_000, 'waiting line');
    const { code } = await stopWith(kp, 'SIGTERM');
    expect(code).toBe(143);
    expect(existsSync(marker)).toBe(false);
    expect(outFiles(dir)).toEqual([]);
  });

  it('a watcher without a command ends normally (exit 0) on SIGTERM, even while it waits for keys', async () => {
    const dir = appConfdir({ env: 'APP_OTHER=x\n' });
    const kp = startCli(['--watch', ...appFlags(dir)], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('app.toml: waiting for /app/port'), 10_000, 'waiting line');
    expect((await stopWith(kp, 'SIGTERM')).code).toBe(0);
  });
});

describe('--onetime against a backend that cannot be reached', () => {
  const unreachable = ['--onetime', '--backend', 'etcd', '--node', 'http://127.0.0.1:1'];

  it('says so at once naming the node and the error, reminds every 10 s, and exits 1 when --wait-timeout runs out', async () => {
    const dir = makeConfdir(appResource);
    const started = Date.now();
    const r = await runCli([...unreachable, '--confdir', dir, '--wait-timeout', '10500ms'], { env: baseEnv(), timeout: 30_000 });
    expect(r.code).toBe(1);
    const lines = logLines(r.stderr);
    expect(lines[0]).toMatch(/^cannot reach backend etcd \(http:\/\/127\.0\.0\.1:1\): \[etcd\] .*127\.0\.0\.1:1.*ECONNREFUSED.*; retrying until it answers or --wait-timeout \(10\.5s\) runs out$/);
    expect(lines.filter((l) => /^still cannot reach backend etcd \(http:\/\/127\.0\.0\.1:1\) after 10s: /.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^gave up after 10\.5s: no answer from backend etcd yet, so no resource could render; check --node/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(outFiles(dir)).toEqual([]);
  }, 40_000);

  it('exits 1 when --backend-retry-timeout runs out, with the backend message', async () => {
    const dir = makeConfdir(appResource);
    const r = await runCli([...unreachable, '--confdir', dir, '--backend-retry-timeout', '1500ms'], { env: baseEnv() });
    expect(r.code).toBe(1);
    // The first line names the timeout the user set, not one they did not.
    expect(r.stderr).toMatch(/cannot reach backend etcd .*; retrying until it answers or --backend-retry-timeout \(1\.5s\) runs out\n/);
    expect(r.stderr).not.toMatch(/--wait-timeout|retryTimeout/);
    // Named once, by the backend that gave up because of it.
    expect(r.stderr).toMatch(/ERROR \[etcd\] gave up on \/app: no answer from etcd for 1500ms \(--backend-retry-timeout\): /);
    expect(r.stderr.split('\n').filter((l) => l.includes('ERROR'))[0].match(/backend-retry-timeout/g)).toHaveLength(1);
  });

  it('interrupted while it retries: exit 130, never 0, and a command never starts', async () => {
    const dir = makeConfdir(appResource);
    const marker = path.join(dir, 'started');
    const kp = startCli([...unreachable, '--confdir', dir, '--', 'touch', marker], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('cannot reach backend etcd'), 10_000, 'first line');
    expect((await stopWith(kp, 'SIGINT')).code).toBe(130);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('a backend address that accepts connections and never answers (a firewall, a frozen server)', () => {
  it.each(['consul', 'etcd'])('%s: said within seconds, naming the node; --wait-timeout then ends the run with exit 1', async (backend) => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const dir = makeConfdir(appResource);
      const started = Date.now();
      const kp = startCli(['--onetime', '--backend', backend, '--node', `127.0.0.1:${port}`, '--confdir', dir, '--wait-timeout', '9s'], { env: baseEnv() });
      await waitFor(() => /WARN .*127\.0\.0\.1:\d+/.test(kp.out.stderr), 8_000, 'a warning naming the node');
      expect(Date.now() - started).toBeLessThan(7_500);
      const { code } = await kp.exited;
      expect(code).toBe(1);
      expect(kp.out.stderr).toMatch(/gave up after 9s/);
      expect(outFiles(dir)).toEqual([]);
      // keyplate check says so too, while it waits for its one read.
      const check = startCli(['check', '--backend', backend, '--node', `127.0.0.1:${port}`, '--confdir', dir], { env: baseEnv() });
      await waitFor(() => /WARN .*has not answered in 5s/.test(check.out.stderr), 8_000, 'check: a warning naming the node');
      check.child.kill('SIGTERM');
      await check.exited;
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});

describe('many resources with a prefix each, against Consul', () => {
  const ctx = useConsul({}, { seed: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/svc${i}/port`, String(8000 + i)])) });

  it('--log-format json: every stderr line is keyplate\'s JSON (Node warned of a listener leak past 10 prefixes)', async () => {
    const files: Record<string, string> = { 'templates/s.tmpl': 'port={{getv "/port"}}\n' };
    for (let i = 0; i < 20; i++) files[`conf.d/s${i}.toml`] = `[template]\nsrc = "s.tmpl"\ndest = "out/s${i}"\nprefix = "/svc${i}"\nkeys = ["/"]\n`;
    const dir = makeConfdir(files);
    const r = await runCli(['--onetime', '--backend', 'consul', '--node', ctx.agent.address, '--confdir', dir, '--log-format', 'json'], { env: baseEnv() });
    expect([r.code, r.stderr]).toEqual([0, expect.anything()]);
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    expect(outFiles(dir)).toHaveLength(20);
  });
});

describe('the log tells the state (etcd)', () => {
  const ctx = useEtcd();

  it('a watcher says once what it watches and that all is up to date; "waiting for" is followed by the arrival; no line twice', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/host').value('h1');
    const dir = makeConfdir({
      ...appResource,
      'conf.d/db.toml': '[template]\nsrc = "db.tmpl"\ndest = "out/db.conf"\nkeys = ["/db"]\ncheck_cmd = "grep -q port {{src}}"\n',
      'templates/db.tmpl': 'db={{getv "/db/host"}}\n',
    });
    const node = ctx.etcd.endpoints[0];
    const args = ['--backend', 'etcd', '--node', node, '--confdir', dir, '--wait-min', '10ms'];
    const first = startCli(args, { env: baseEnv() });
    await waitFor(() => first.out.stderr.includes('db.toml: waiting for /db/host'), 10_000, 'waiting line');
    await waitFor(() => first.out.stderr.includes(`watching 2 resources on etcd (${node}); 1 updated, 1 waiting for keys`), 10_000, 'summary');
    await ctx.client.put('/db/host').value('d1');
    await waitFor(() => first.out.stderr.includes('db.toml: /db/host arrived'), 10_000, 'arrival line');
    // The check fails: its message names the resource once.
    await waitFor(() => first.out.stderr.includes('db.toml: check_cmd exited with code 1;'), 10_000, 'check failure');
    await ctx.client.put('/app/host').value('h2');
    await waitFor(() => readIfExists(path.join(dir, 'out/app.conf')) === 'host=h2\n', 10_000, 'change');
    expect((await stopWith(first, 'SIGTERM')).code).toBe(0);
    const lines = logLines(first.out.stderr);
    expect(lines.length).toBe(new Set(lines).size); // no line twice
    for (const l of lines) for (const name of ['app.toml', 'db.toml']) expect(l.split(name).length - 1, l).toBeLessThanOrEqual(1);
    expect(lines.findIndex((l) => l.includes('waiting for /db/host'))).toBeLessThan(lines.findIndex((l) => l.includes('/db/host arrived')));

    // Started again with every file up to date: one line, and nothing else.
    await ctx.client.put('/db/host').value('port');
    const second = startCli(args, { env: baseEnv() });
    await waitFor(() => /watching 2 resources/.test(second.out.stderr), 10_000, 'second summary');
    await waitFor(() => readIfExists(path.join(dir, 'out/db.conf')) === 'db=port\n', 10_000, 'db written');
    expect((await stopWith(second, 'SIGTERM')).code).toBe(0);
    expect(logLines(second.out.stderr).filter((l) => l.startsWith('watching'))).toEqual([`watching 2 resources on etcd (${node}); 1 updated, 1 up to date`]);
    const third = startCli(args, { env: baseEnv() });
    await waitFor(() => /watching 2 resources/.test(third.out.stderr), 10_000, 'third summary');
    expect((await stopWith(third, 'SIGTERM')).code).toBe(0);
    expect(logLines(third.out.stderr)).toEqual([`watching 2 resources on etcd (${node}); all up to date`]);
  });

  it('nothing says a signal was sent to the command before the command started', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/host').value('h1');
    const dir = makeConfdir({ ...appResource, 'conf.d/app.toml': `${appResource['conf.d/app.toml']}reload_signal = "SIGHUP"\n` });
    // A program that takes SIGHUP as "reload" and keeps running, as nginx does (a plain sleep would die of it).
    const kp = startCli(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--', 'sh', '-c', 'trap "" HUP; exec sleep 30'], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('started sh'), 10_000, 'command started');
    await ctx.client.put('/app/host').value('h2');
    await waitFor(() => kp.out.stderr.includes('sending SIGHUP to the command'), 10_000, 'reload signal');
    await stopWith(kp, 'SIGTERM');
    const lines = logLines(kp.out.stderr);
    expect(lines.findIndex((l) => l.startsWith('sending SIGHUP'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('started sh')));
    expect(lines.filter((l) => l.startsWith('sending'))).toHaveLength(1);
  });
});

describe('an idle watcher stops within 200 ms of SIGTERM (etcd)', () => {
  const ctx = useEtcd();

  it('when idle, and right after an outage', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/host').value('h');
    const dir = makeConfdir(appResource);
    const args = ['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir];
    const idle = startCli(args, { env: baseEnv() });
    await waitFor(() => idle.out.stderr.includes('watching 1 resource'), 10_000, 'watching');
    await new Promise((r) => setTimeout(r, 300));
    const quiet = await stopWith(idle, 'SIGTERM');
    expect(quiet.code).toBe(0);
    expect(quiet.ms).toBeLessThan(200);

    const after = startCli(args, { env: baseEnv() });
    await waitFor(() => after.out.stderr.includes('watching 1 resource'), 10_000, 'watching');
    await ctx.etcd.members[0].kill();
    await waitFor(() => after.out.stderr.includes('backend etcd lost'), 15_000, 'lost');
    await ctx.etcd.members[0].restart({ waitHealthy: true });
    await waitFor(() => after.out.stderr.includes('backend etcd is back'), 20_000, 'back');
    const recovered = await stopWith(after, 'SIGTERM');
    expect(recovered.code).toBe(0);
    expect(recovered.ms).toBeLessThan(200);
    ctx.client.close();
    ctx.client = new Etcd3({ hosts: ctx.etcd.endpoints });
  });

  it('after the first render, an outage is one line at loss, a reminder every 30 s, and one at recovery', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/host').value('h');
    const dir = makeConfdir(appResource);
    const kp = startCli(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('watching 1 resource'), 10_000, 'watching');
    await ctx.etcd.members[0].kill();
    await waitFor(() => kp.out.stderr.includes('backend etcd lost'), 15_000, 'lost');
    await waitFor(() => kp.out.stderr.includes('backend etcd still unreachable after 30s'), 40_000, 'reminder');
    await ctx.etcd.members[0].restart({ waitHealthy: true });
    await waitFor(() => kp.out.stderr.includes('backend etcd is back after'), 20_000, 'back');
    expect((await stopWith(kp, 'SIGTERM')).code).toBe(0);
    const lines = logLines(kp.out.stderr);
    expect(lines.filter((l) => l.startsWith('backend etcd lost'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('backend etcd still unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('backend etcd is back'))).toHaveLength(1);
    expect(readIfExists(path.join(dir, 'out/app.conf'))).toBe('host=h\n');
    ctx.client.close();
    ctx.client = new Etcd3({ hosts: ctx.etcd.endpoints });
  }, 90_000);
});

describe('/readyz always says why it is not ready', () => {
  const readyz = async (kp: RunningCli): Promise<{ status: number; body: Record<string, unknown> }> => {
    const url = /operations server listening on (http:\/\/\S+)/.exec(kp.out.stderr)![1];
    const res = await fetch(`${url}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('"connecting to the backend" while it cannot be reached', async () => {
    const dir = makeConfdir(appResource);
    const kp = startCli(['--backend', 'etcd', '--node', 'http://127.0.0.1:1', '--confdir', dir, '--metrics-addr', '127.0.0.1:0'], { env: baseEnv() });
    try {
      await waitFor(() => /operations server listening on/.test(kp.out.stderr), 10_000, 'server');
      const first = await readyz(kp); // right after start, before any answer
      expect(first.status).toBe(503);
      expect(first.body.reason).toBe('connecting to the backend');
      await waitFor(() => kp.out.stderr.includes('cannot reach backend etcd'), 10_000, 'unreachable');
      expect(await readyz(kp)).toMatchObject({ status: 503, body: { reason: 'connecting to the backend', backend: { name: 'etcd', up: false } } });
    } finally {
      await stopWith(kp, 'SIGTERM');
    }
  });

  it('"first render pending" while the first render runs', async () => {
    const dir = appConfdir({ toml: 'check_cmd = "sleep 2"\n' });
    const kp = startCli(['--watch', ...appFlags(dir), '--metrics-addr', '127.0.0.1:0'], { env: baseEnv() });
    try {
      await waitFor(() => /operations server listening on/.test(kp.out.stderr), 10_000, 'server');
      await new Promise((r) => setTimeout(r, 700)); // the check runs for 2 s
      expect(await readyz(kp)).toMatchObject({ status: 503, body: { reason: 'first render pending', resources: [{ name: 'app.toml', waitingFor: [] }] } });
      await waitFor(() => kp.out.stderr.includes('updated'), 10_000, 'written');
      expect(await readyz(kp)).toEqual({ status: 200, body: { status: 'ready' } });
    } finally {
      await stopWith(kp, 'SIGTERM');
    }
  });
});

describe('a backend error retrying cannot cure', () => {
  it('env file made unreadable before the command started: exit 1 naming it, the command never starts', async () => {
    const dir = appConfdir({ env: 'APP_OTHER=x\n' });
    const marker = path.join(dir, 'started');
    const kp = startCli([...appFlags(dir), '--', 'touch', marker], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
    rmSync(path.join(dir, 'dev.env'));
    mkdirSync(path.join(dir, 'dev.env'));
    const { code } = await kp.exited;
    expect(code).toBe(1);
    expect(kp.out.stderr).toMatch(/\[env\] .*dev\.env: cannot read the env file \(EISDIR\); fix --env-file; giving up/);
    expect(existsSync(marker)).toBe(false);
  });

  it('after the first render in watch mode: logged, the last good file kept, and followed again once fixed', async () => {
    const dir = appConfdir();
    const out = path.join(dir, 'out/app.conf');
    const kp = startCli(['--watch', ...appFlags(dir)], { env: baseEnv() });
    try {
      await waitFor(() => readIfExists(out) === 'port=1\n', 10_000, 'first render');
      rmSync(path.join(dir, 'dev.env'));
      mkdirSync(path.join(dir, 'dev.env'));
      await waitFor(() => /backend env lost \(\[env\] .*EISDIR/.test(kp.out.stderr), 10_000, 'lost');
      expect(readIfExists(out)).toBe('port=1\n');
      rmSync(path.join(dir, 'dev.env'), { recursive: true });
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(out) === 'port=2\n', 10_000, 'fixed');
      expect(kp.out.stderr).toMatch(/backend env is back/);
    } finally {
      expect((await stopWith(kp, 'SIGTERM')).code).toBe(0);
    }
  });
});

describe('Consul with ACLs, default deny, and no token', () => {
  const ctx = useConsul({ aclToken: 'root-token-for-tests' });

  it('--onetime -- command: permission denied is reported, exit 1, and the command never starts', async () => {
    const dir = makeConfdir(appResource);
    const marker = path.join(tempDir(), 'started');
    // No retry bound: a 403 is permanent, so --onetime ends within seconds instead of retrying forever.
    const began = Date.now();
    const r = await runCli(['--onetime', '--backend', 'consul', '--node', ctx.agent.address, '--confdir', dir, '--', 'touch', marker], { env: baseEnv() });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/permission denied \(HTTP 403\)/);
    expect(r.stderr).toMatch(/--token or CONSUL_HTTP_TOKEN/);
    expect(r.stderr).toMatch(/not starting touch/);
    expect(existsSync(marker)).toBe(false);
    expect(outFiles(dir)).toEqual([]);
  });
});
