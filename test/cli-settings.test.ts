// Settings that cannot work together, found by a new user's trial: each is exit 2 at once (or a warning for a setting
// that does nothing), naming the setting where the user wrote it, and nothing is written or run. The CLI as a process.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, baseEnv, cleanupTemps, keyplateCommand, runCli, tempDir } from './util.js';

afterEach(cleanupTemps);

describe('TLS files are checked before any connection (a retry cannot cure a missing file)', () => {
  it.each([
    ['etcd', ['--client-ca-keys', '/nonexistent/ca.pem'], /--client-ca-keys: cannot read \/nonexistent\/ca\.pem \(ENOENT\); give the path of a readable PEM file/],
    ['consul', ['--client-ca-keys', '/nonexistent/ca.pem'], /--client-ca-keys: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/],
    ['etcd', ['--client-cert', '/etc/hostname'], /--client-cert needs --client-key too/],
    ['consul', ['--client-key', '/etc/hostname'], /--client-key needs --client-cert too/],
  ])('%s %s: exit 2 within seconds, naming the flag; nothing written', async (backend, flags, message) => {
    const dir = appConfdir();
    // The node does not exist: only a check before connecting can end this run quickly.
    const r = await runCli(['--onetime', '--backend', backend, '--node', 'https://127.0.0.1:9', ...flags, '--confdir', dir], { timeout: 8_000 });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/retry|clientCaKeys|clientCert/);
    expect(r.code).toBe(2);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(false);
  });

  it('a TLS file set in KEYPLATE_* is named by its variable', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', '--backend', 'consul', '--confdir', dir], { env: baseEnv({ KEYPLATE_CLIENT_CERT: '/nonexistent/c.pem' }), timeout: 8_000 });
    expect(r.stderr).toMatch(/KEYPLATE_CLIENT_CERT: cannot read \/nonexistent\/c\.pem/);
    expect(r.code).toBe(2);
  });
});

describe('settings that would be silently ignored', () => {
  it("confd's confd.toml where keyplate.toml would be, and --interval with --onetime: warnings that say what to do", async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'confd.toml'), 'backend = "etcdv3"\nnodes = ["http://127.0.0.1:2379"]\n');
    const r = await runCli(['--onetime', ...['--confdir', dir, '--env-file', path.join(dir, 'dev.env')], '--interval', '5']);
    expect(r.stderr).toContain(`WARN  ${path.join(dir, 'confd.toml')} is confd's settings file, which keyplate does not read; rename it keyplate.toml`);
    expect(r.stderr).toContain(`or pass --config-file ${path.join(dir, 'confd.toml')}`);
    expect(r.stderr).toContain('WARN  --interval does nothing with --onetime: it renders once and exits');
    expect(r.code).toBe(0);
    // Named with --config-file, it is read (confd's keys) and nothing is said about it.
    const named = await runCli(['check', '--confdir', dir, '--config-file', path.join(dir, 'confd.toml'), '--node', 'http://127.0.0.1:9', '--wait-timeout', '1s'], { timeout: 10_000 });
    expect(named.stderr).not.toContain("confd's settings file");
    expect(named.stderr).toMatch(/cannot read backend etcd \(http:\/\/127\.0\.0\.1:9\)/); // backend = "etcdv3" read
    expect(named.code).toBe(1);
  });
});

describe('credentials written into a node address', () => {
  it.each([
    ['etcd', ['--node', 'http://alice:S3cretPW@127.0.0.1:9'], /--node http:\/\/…@127\.0\.0\.1:9 holds credentials before its `@`.*--username and the password in KEYPLATE_PASSWORD/],
    ['consul', ['--node', 'https://alice:S3cretPW@127.0.0.1:9'], /--node https:\/\/…@127\.0\.0\.1:9 holds credentials.*--token or CONSUL_HTTP_TOKEN/],
    ['etcd', ['--node', 'alice:S3cretPW@127.0.0.1:9'], /--node …@127\.0\.0\.1:9 holds credentials before its `@`/],
    ['consul', ['--node', 'http://alice:S3cret/PW@127.0.0.1:9'], /--node http:\/\/…@127\.0\.0\.1:9 holds credentials/],
    ['etcd', ['--node', 'alice:S3cretPW@x@127.0.0.1:9'], /--node …@127\.0\.0\.1:9 holds credentials/],
  ])('%s: exit 2 at once, the password never shown, the way to give them named', async (backend, flags, message) => {
    const dir = appConfdir();
    for (const args of [['--onetime', '--backend', backend, ...flags, '--confdir', dir], ['check', '--backend', backend, ...flags, '--confdir', dir]]) {
      const r = await runCli(args, { timeout: 8_000 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr + r.stdout).not.toContain('S3cret');
      expect(r.code).toBe(2);
    }
    const env = await runCli(['--onetime', '--backend', backend, '--confdir', dir], { env: baseEnv({ KEYPLATE_NODE: flags[1] }), timeout: 8_000 });
    expect(env.stderr).toMatch(/^keyplate: KEYPLATE_NODE .*…@127\.0\.0\.1:9 holds credentials/m);
    expect(env.stderr).not.toContain('S3cret');
    expect(env.code).toBe(2);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(false);
  });
});

describe('settings that contradict each other', () => {
  it('an empty program after `--`, or a command with keyplate check: exit 2 before anything is written', async () => {
    const dir = appConfdir();
    const flags = ['--confdir', dir, '--env-file', path.join(dir, 'dev.env')];
    const empty = await runCli(['--onetime', ...flags, '--', '']);
    expect(empty.stderr).toMatch(/expected a program to run after `--`, got an empty name/);
    expect(empty.code).toBe(2);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(false);
    const check = await runCli(['check', ...flags, '--', 'echo', 'hi']);
    expect(check.stderr).toMatch(/keyplate check writes nothing and runs nothing, so it cannot start `echo`/);
    expect(check.stdout).not.toContain('hi');
    expect(check.code).toBe(2);
  });

  it('--noop with a command: exit 2, the command never runs', async () => {
    const dir = appConfdir();
    const marker = path.join(tempDir(), 'ran');
    const r = await runCli(['--onetime', '--noop', '--confdir', dir, '--env-file', path.join(dir, 'dev.env'), '--', 'touch', marker]);
    expect(r.stderr).toMatch(/--noop writes nothing and runs nothing, so it cannot start `touch`/);
    expect(r.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
  });

  it.each(['--wait-timeout', '--backend-retry-timeout'])('%s 0 is refused: it would give up before the backend could answer', async (flag) => {
    const r = await runCli(['--onetime', '--confdir', appConfdir(), flag, '0']);
    expect(r.stderr).toMatch(new RegExp(`${flag} 0 would give up before the backend could answer`));
    expect(r.code).toBe(2);
  });

  it('onetime and watch both true in keyplate.toml: exit 2 naming the file', async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'keyplate.toml'), 'onetime = true\nwatch = true\n');
    const r = await runCli(['--confdir', dir]);
    expect(r.stderr).toMatch(/onetime in .*keyplate\.toml and watch in .*keyplate\.toml contradict each other/);
    expect(r.code).toBe(2);
  });
});

describe('settings that do nothing are said, not silently dropped', () => {
  it('--node with the env backend (forgot --backend): a warning naming both, before the missing keys', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', '--node', 'http://127.0.0.1:2379', '--confdir', dir]);
    expect(r.stderr).toMatch(/--node does nothing with the env backend \(--backend is env, the default\); to read from a server, add --backend etcd or --backend consul/);
    expect(r.code).toBe(3);
  });

  it('confdir in keyplate.toml overridden by --confdir: a warning', async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'keyplate.toml'), 'confdir = "/somewhere/else"\nenv_file = ["dev.env"]\n');
    const r = await runCli(['--onetime', '--confdir', dir]);
    expect(r.stderr).toMatch(/confdir in .*keyplate\.toml is ignored: --confdir names the confdir/);
    expect(r.code).toBe(0);
  });
});

describe('arguments in the wrong place', () => {
  it('a directory given without --confdir: the hint says --confdir, not to run it as a command', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', dir]);
    expect(r.stderr).toMatch(/unexpected argument `.*`; to use this directory as the confdir, write --confdir/);
    expect(r.stderr).not.toMatch(/put it after `--`/);
    expect(r.code).toBe(2);
  });

  it('a command without its `--` (nginx -g …): the hint shows it after `--`, not an unknown flag', async () => {
    const r = await runCli(['--onetime', '--confdir', appConfdir(), 'nginx', '-g', 'daemon off;']);
    expect(r.stderr).toMatch(/`nginx` and what follows look like a command to run; put it after `--`: keyplate \[flags\] -- nginx -g 'daemon off;'/);
    expect(r.code).toBe(2);
  });

  it('--confdir naming a file: said as such, not blamed on --config-file', async () => {
    const dir = appConfdir();
    const r = await runCli(['--onetime', '--confdir', path.join(dir, 'conf.d', 'app.toml')]);
    expect(r.stderr).toMatch(/--confdir .*app\.toml is a file, not a directory; give the directory that holds conf\.d\/ and templates\//);
    expect(r.stderr).not.toMatch(/config-file/);
    expect(r.code).toBe(2);
  });

  it('a dest starting with ~: the missing-directory error says ~ is not expanded', async () => {
    const dir = appConfdir({ toml: '' });
    writeFileSync(path.join(dir, 'conf.d', 'app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "~/app.conf"\nkeys = ["/app"]\n');
    mkdirSync(path.join(dir, 'out'), { recursive: true });
    const r = await runCli(['--onetime', '--confdir', dir, '--env-file', path.join(dir, 'dev.env')]);
    expect(r.stderr).toMatch(/`~` is not expanded/);
    expect(r.code).toBe(1);
    // keyplate check agrees, and ~user is a directory's name as well.
    const check = await runCli(['check', '--confdir', dir, '--env-file', path.join(dir, 'dev.env')]);
    expect(check.stderr).toMatch(/dest directory .*\/~ does not exist; `~` is not expanded: write the full path/);
    expect(check.code).toBe(1);
    writeFileSync(path.join(dir, 'conf.d', 'app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "~root/app.conf"\nkeys = ["/app"]\n');
    const user = await runCli(['--onetime', '--confdir', dir, '--env-file', path.join(dir, 'dev.env')]);
    expect(user.stderr).toMatch(/~root does not exist; `~` is not expanded/);
  });
});

describe('--noop exits with the code the real run would', () => {
  it('a dest directory this user may not write in: the diff, then exit 1 naming the directory, as check and the run do', () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'conf.d', 'app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "locked/app.conf"\nkeys = ["/app"]\n');
    mkdirSync(path.join(dir, 'locked'), { mode: 0o555 });
    execFileSync('chmod', ['-R', 'a+rX', dir]); // dir is the test's own temporary directory, under /tmp
    // Root may write anywhere: run as nobody then.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = (...args: string[]) =>
      spawnSync(keyplateCommand[0], [...keyplateCommand.slice(1), ...args, '--confdir', dir], { env: baseEnv({ APP_PORT: '7', KEYPLATE_CACHE_DIR: 'off' }), encoding: 'utf8', ...user });
    const noop = run('--onetime', '--noop');
    expect(noop.stdout).toMatch(/\+port=7/);
    expect(noop.stderr).toMatch(/cannot write in .*locked \(EACCES\); the diff shows the change, but a run would fail here/);
    expect(noop.status).toBe(1);
    expect(run('--onetime').status).toBe(1);
    expect(run('check').status).toBe(1);
    expect(existsSync(path.join(dir, 'locked', 'app.conf'))).toBe(false);
  });
});
