// What a new user ran into on a first day with keyplate: editor lock files and broken links in conf.d, a dest
// written as a directory. Each runs the CLI as a process.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useConsul, useEtcd } from './lifecycle.js';
import { appConfdir, appFlags, baseEnv, cleanupTemps, makeConfdir, runCli, startCli, waitFor } from './util.js';

afterEach(cleanupTemps);

describe('conf.d entries that are not readable resource files', () => {
  it('skips an Emacs lock file (.#name.toml, a dangling link) in the run and in check', async () => {
    const dir = appConfdir();
    symlinkSync('root@host.12345:17', path.join(dir, 'conf.d', '.#app.toml'));
    const run = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(run.stderr).not.toMatch(/ERROR|unexpected|    at /);
    expect(run.code).toBe(0);
    const check = await runCli(['check', ...appFlags(dir)], { cwd: dir });
    expect(check.stderr).not.toMatch(/ERROR|unexpected|    at /);
    expect(check.code).toBe(0);
  });

  it('refuses a dangling link and a link to a directory with exit 2, naming each file and why, no stack trace', async () => {
    const dir = appConfdir();
    symlinkSync('nowhere', path.join(dir, 'conf.d', 'x.toml'));
    mkdirSync(path.join(dir, 'adir'));
    symlinkSync(path.join(dir, 'adir'), path.join(dir, 'conf.d', 'y.toml'));
    for (const args of [['--onetime'], ['check']]) {
      const r = await runCli([...args, ...appFlags(dir)], { cwd: dir });
      expect(r.stderr).not.toMatch(/unexpected|    at /);
      expect(r.stderr).toMatch(/conf\.d\/x\.toml: cannot read the resource file: .*symbolic link to nothing/);
      expect(r.stderr).toMatch(/conf\.d\/y\.toml: cannot read the resource file: .*directory/);
      expect(r.code).toBe(2);
    }
    expect(existsSync(path.join(dir, 'out', 'app.conf'))).toBe(false);
  });

  it('a conf.d that is a file: exit 2 naming it, no stack trace', async () => {
    const dir = appConfdir();
    rmSync(path.join(dir, 'conf.d'), { recursive: true });
    writeFileSync(path.join(dir, 'conf.d'), '');
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).not.toMatch(/unexpected|    at /);
    expect(r.stderr).toMatch(/conf\.d: cannot list the directory \(it is a file, not a directory \(ENOTDIR\)\)/);
    expect(r.code).toBe(2);
  });
});

describe('a dest that names a directory', () => {
  it.each(['out/newdir/', 'out/.', 'out/newdir/..'])('refuses dest = %j at load with exit 2, naming the field, and writes nothing', async (dest) => {
    const dir = appConfdir();
    const toml = path.join(dir, 'conf.d', 'app.toml');
    writeFileSync(toml, readFileSync(toml, 'utf8').replace('dest = "out/app.conf"', `dest = ${JSON.stringify(dest)}`));
    for (const args of [['--onetime'], ['check']]) {
      const r = await runCli([...args, ...appFlags(dir)], { cwd: dir });
      expect(r.stderr).toMatch(/app\.toml:3: dest ".*" names a directory; dest must name a file/);
      expect(r.code).toBe(2);
    }
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });
});

describe('the start-up summary of a watcher (etcd)', () => {
  const ctx = useEtcd();

  it('says how many wait for keys when every resource waits, and never "all up to date" unless all are', async () => {
    await ctx.client.delete().all();
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
      'templates/app.tmpl': 'host={{getv "/app/host"}}\n',
      'conf.d/db.toml': '[template]\nsrc = "db.tmpl"\ndest = "out/db.conf"\nkeys = ["/db"]\n',
      'templates/db.tmpl': 'db={{getv "/db/host"}}\n',
    });
    const node = ctx.etcd.endpoints[0];
    const args = ['--backend', 'etcd', '--node', node, '--confdir', dir];
    const summary = async (): Promise<string> => {
      const kp = startCli(args, { env: baseEnv() });
      await waitFor(() => /watching 2 resources.*\n/.test(kp.out.stderr), 10_000, 'summary');
      kp.child.kill('SIGTERM');
      await kp.exited;
      return /watching 2 resources on etcd \([^)]*\); (.*)/.exec(kp.out.stderr)![1]!;
    };
    expect(await summary()).toBe('2 waiting for keys');
    await ctx.client.put('/app/host').value('h1');
    expect(await summary()).toBe('1 updated, 1 waiting for keys');
    expect(await summary()).toBe('1 up to date, 1 waiting for keys');
    await ctx.client.put('/db/host').value('d1');
    expect(await summary()).toBe('1 updated, 1 up to date');
    expect(await summary()).toBe('all up to date');
  });

  it('a watch-mode -- command stopped by SIGINT before the first render says it is not starting, as --onetime does', async () => {
    await ctx.client.delete().all();
    const dir = appConfdir();
    const kp = startCli(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0]!, '--confdir', dir, '--', 'sleep', '30'], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('app.toml: waiting for /app/port'), 10_000, 'waiting line');
    kp.child.kill('SIGINT');
    const { code } = await kp.exited;
    expect(kp.out.stderr).toMatch(/not starting sleep: stopped by SIGINT/);
    expect(code).toBe(130);
  });
});

describe('Ctrl-C while a check_cmd or reload_cmd runs', () => {
  /** Send `signal` once `text` is in the log. */
  const signalAfter = async (kp: ReturnType<typeof startCli>, text: string | RegExp, signal: NodeJS.Signals): Promise<void> => {
    await waitFor(() => (typeof text === 'string' ? kp.out.stderr.includes(text) : text.test(kp.out.stderr)), 10_000, String(text));
    kp.child.kill(signal);
  };

  it('the first SIGINT says what it waits for and for how long; the second kills the reload_cmd at once, the rename stays', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "sleep 2; touch reloaded-late; sleep 18"\n' });
    const kp = startCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    await signalAfter(kp, 'app.toml: updated', 'SIGINT');
    await signalAfter(kp, /stopping: waiting for app\.toml's reload_cmd to finish \(at most (59|60)s\); press Ctrl-C again to stop it now\n/, 'SIGINT');
    const sent = performance.now();
    const { code } = await kp.exited;
    expect(performance.now() - sent).toBeLessThan(1_500);
    expect(code).toBe(130);
    expect(kp.out.stderr).toMatch(/reload_cmd was killed, as keyplate was told to stop now/);
    expect(readFileSync(path.join(dir, 'out', 'app.conf'), 'utf8')).toBe('port=1\n');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(existsSync(path.join(dir, 'reloaded-late')), 'the reload_cmd\'s group was killed').toBe(false);
  });

  it('a second SIGTERM during a check_cmd kills it; no stage file and no dest are left', async () => {
    const dir = appConfdir({ toml: 'check_cmd = "sleep 20"\n' });
    const kp = startCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    await waitFor(() => readdirSync(path.join(dir, 'out')).length > 0, 10_000, 'stage file');
    kp.child.kill('SIGTERM');
    await signalAfter(kp, /stopping: waiting for app\.toml's check_cmd to finish \(at most \d+s\); press Ctrl-C again/, 'SIGTERM');
    const { code } = await kp.exited;
    expect(code).toBe(143);
    expect(kp.out.stderr).toMatch(/check_cmd was killed, as keyplate was told to stop now/);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });
});

describe('a permanent backend error is not announced as retrying', () => {
  const consul = useConsul();

  it.each([['--onetime'], []])('etcd --node at Consul\'s port (%s): one ERROR giving up, no "cannot reach", no "retrying"', async (...mode) => {
    const dir = appConfdir();
    const r = await runCli([...mode, '--backend', 'etcd', '--node', `http://${consul.agent.address}`, '--confdir', dir], { env: baseEnv(), timeout: 20_000 });
    expect(r.stderr).toMatch(/does not speak etcd's gRPC API.*giving up/);
    expect(r.stderr).not.toMatch(/WARN|cannot reach|retrying until/);
    expect(r.code).toBe(1);
  });
});

describe("command output hides other resources' values too", () => {
  it("a failing check_cmd in nginx.toml that prints app.toml's file shows none of app's values", async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.env"\nkeys = ["/app"]\n',
      'templates/app.tmpl': 'PASSWORD={{getv "/app/password"}}\n',
      'conf.d/nginx.toml': '[template]\nsrc = "nginx.tmpl"\ndest = "out/nginx.conf"\nkeys = ["/nginx"]\ncheck_cmd = "cat out/app.env; exit 1"\n',
      'templates/nginx.tmpl': 'listen {{getv "/nginx/port"}};\n',
      'dev.env': 'APP_PASSWORD=app-secret-Value-9931\nNGINX_PORT=8080\n',
    });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).toContain('nginx.toml: check_cmd exited with code 1');
    expect(r.stderr).toContain('PASSWORD=[value of /app/password]');
    expect(r.stderr).not.toContain('app-secret-Value-9931');
    expect(r.code).toBe(1);
  });
});

describe('small things a first run shows', () => {
  it('--metrics-addr says once where the operations server listens', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', ...appFlags(dir), '--metrics-addr', '127.0.0.1:0'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/operations server/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/operations server listening on http:\/\/127\.0\.0\.1:\d+ /);
  });

  it('--metrics-addr 0.0.0.0 (the Docker image\'s) is said to be every interface, not loopback', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', ...appFlags(dir), '--metrics-addr', '0.0.0.0:0'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/operations server listening on every interface, port \d+ \(http:\/\/127\.0\.0\.1:\d+ from this host; /);
  });

  it.each([['reload_signal = "SIGHUP"'], ['restart = true']])('%s without a command after -- warns once at start, naming the resource', async (field) => {
    const dir = appConfdir({ toml: `${field}\n` });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('WARN'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`app.toml: ${field} does nothing without a command after \`--\``);
  });
});
