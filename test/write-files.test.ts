// Destinations as they are on real hosts: devices, FIFOs, sockets and directories refused; symlinks written
// through; --noop before the directory exists. The CLI as a process, on the real filesystem.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, readIfExists, runCli, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

const onetime = (dir: string, ...more: string[]) => runCli(['--onetime', ...appFlags(dir), ...more], { timeout: 8_000 });

describe('a destination that is not a regular file is refused, exit 2, before anything is written', () => {
  // Each prepares out/app.conf; /dev entries are reached through a link of the test's own, so that a keyplate
  // without the rule replaces the link, never the device itself.
  const cases: Array<[string, (dest: string) => void | (() => void), RegExp]> = [
    ['a FIFO (which would block a read forever)', (dest) => void execFileSync('mkfifo', [dest]), /is a FIFO \(named pipe\)/],
    ['a directory', (dest) => mkdirSync(dest), /is a directory/],
    ['a link to /dev/null', (dest) => symlinkSync('/dev/null', dest), /\(it links to \/dev\/null\) is a character device/],
    ['a link to /dev/zero (which would read without end)', (dest) => symlinkSync('/dev/zero', dest), /\(it links to \/dev\/zero\) is a character device/],
    ['a link to /dev/stdout, a magic link into /proc (a pipe or socket here)', (dest) => symlinkSync('/dev/stdout', dest), /\(it links to \/proc\/self\/fd\/1\) is a (socket|FIFO)/],
    [
      'a socket',
      (dest) => {
        const server = createServer().listen(dest);
        return () => server.close();
      },
      /is a socket/,
    ],
  ];

  it.each(cases)('%s', async (_, prepare, kind) => {
    const dir = appConfdir({ toml: 'check_cmd = "touch ../checked"\n' });
    const dest = path.join(dir, 'out/app.conf');
    const before = existsSync(dest) ? lstatSync(dest) : undefined;
    expect(before).toBeUndefined();
    const cleanup = prepare(dest);
    await new Promise((r) => setTimeout(r, 50)); // the socket binds asynchronously
    const kindBefore = lstatSync(dest);
    try {
      const r = await onetime(dir);
      expect(r.signal).toBeNull(); // not killed by the test's timeout: nothing blocked
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(kind);
      expect(r.stderr).toContain(`app.toml: dest ${dest}`);
      expect(r.stderr).toContain('point dest at a file path');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const after = lstatSync(dest);
      expect([after.mode, after.ino]).toEqual([kindBefore.mode, kindBefore.ino]);

      const check = await runCli(['check', ...appFlags(dir)], { timeout: 8_000 });
      expect(check.code).toBe(2);
      expect(check.stderr).toMatch(kind);
    } finally {
      if (typeof cleanup === 'function') cleanup();
    }
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('one refused resource means nothing is written for the others either', async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'conf.d/other.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/other.conf"\nkeys = ["/app"]\n');
    execFileSync('mkfifo', [path.join(dir, 'out/app.conf')]);
    const r = await onetime(dir);
    expect(r.code).toBe(2);
    expect(existsSync(path.join(dir, 'out/other.conf'))).toBe(false);
  });

  it('a dest that becomes a FIFO while keyplate watches fails that write, naming it, without blocking the loop', async () => {
    const dir = appConfdir();
    const dest = path.join(dir, 'out/app.conf');
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(dest) === 'port=1\n', 10_000, 'first render');
      rmSync(dest);
      execFileSync('mkfifo', [dest]);
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => kp.out.stderr.includes(`dest ${dest} is a FIFO (named pipe)`), 10_000, 'the refusal');
      // Still watching: the next change is rendered once the dest is a file again.
      rmSync(dest);
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=3\n');
      await waitFor(() => readIfExists(dest) === 'port=3\n', 10_000, 'render after the FIFO is gone');
    });
    expect(code).toBe(0);
  });

  it('a dest whose links loop is refused with exit 2, naming it', async () => {
    const dir = appConfdir();
    const dest = path.join(dir, 'out/app.conf');
    symlinkSync('loop.conf', dest);
    symlinkSync('app.conf', path.join(dir, 'out/loop.conf'));
    const r = await onetime(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dest ${dest}: its symbolic links loop`);
    expect(readlinkSync(dest)).toBe('loop.conf');
  });

  it('a regular file is compared without being read when its size differs, and rewritten', async () => {
    const dir = appConfdir();
    const dest = path.join(dir, 'out/app.conf');
    writeFileSync(dest, 'port=1\n');
    expect((await onetime(dir)).stderr).not.toContain('updated');
    writeFileSync(dest, 'port=2\n'); // same size, other bytes
    expect((await onetime(dir)).stderr).toContain('updated');
    writeFileSync(dest, 'port=12\n');
    const r = await onetime(dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('updated');
    expect(readIfExists(dest)).toBe('port=1\n');
  });
});

describe('a dest that is a symlink is written through, and the link stays', () => {
  /** out/app.conf → ../available/app.conf, as sites-enabled → sites-available. */
  function linkedConfdir(toml = '') {
    const dir = appConfdir({ toml });
    mkdirSync(path.join(dir, 'available'));
    const dest = path.join(dir, 'out/app.conf');
    return { dir, dest, target: path.join(dir, 'available/app.conf') };
  }

  it('a relative link: the target gets the content, in its own directory, and the link is kept', async () => {
    const { dir, dest, target } = linkedConfdir('check_cmd = "case {{src}} in */available/.app.conf.keyplate-*) exit 0;; *) exit 9;; esac"\nmode = "0640"\n');
    writeFileSync(target, 'port=old\n');
    symlinkSync('../available/app.conf', dest);
    const r = await onetime(dir);
    expect(r.stderr).toBe(`keyplate INFO  app.toml: updated ${dest} (content, mode)\n`);
    expect(r.code).toBe(0);
    expect(readlinkSync(dest)).toBe('../available/app.conf');
    expect(readFileSync(target, 'utf8')).toBe('port=1\n');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    // Unchanged on the next run: compared through the link.
    expect((await onetime(dir)).stderr).toBe('');
  });

  it('a link to a link: the file at the end of the chain is written', async () => {
    const { dir, dest, target } = linkedConfdir();
    writeFileSync(target, 'port=old\n');
    symlinkSync(target, path.join(dir, 'available/current.conf')); // absolute
    symlinkSync('../available/current.conf', dest); // relative, to a link
    expect((await onetime(dir)).code).toBe(0);
    expect(readlinkSync(dest)).toBe('../available/current.conf');
    expect(readlinkSync(path.join(dir, 'available/current.conf'))).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('port=1\n');
  });

  it('a dangling link: its target is created, the link kept', async () => {
    const { dir, dest, target } = linkedConfdir();
    symlinkSync('../available/app.conf', dest);
    const r = await onetime(dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`updated ${dest} (created)`);
    expect(lstatSync(dest).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('port=1\n');
  });

  it("a dangling link into a directory that does not exist: exit 1, naming the link's target directory", async () => {
    const { dir, dest } = linkedConfdir();
    symlinkSync('../nowhere/app.conf', dest);
    const r = await onetime(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`destination directory ${path.join(dir, 'nowhere')} (where dest's symlink ${dest} points) does not exist`);
    expect(readlinkSync(dest)).toBe('../nowhere/app.conf');
  });

  it('--noop shows the diff of the target and says it is written through the link', async () => {
    const { dir, dest, target } = linkedConfdir();
    writeFileSync(target, 'port=old\n');
    symlinkSync('../available/app.conf', dest);
    const r = await onetime(dir, '--noop');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# app.toml (written through the symlink to ${target})`);
    expect(r.stdout).toContain('-port=old\n+port=1');
    expect(readFileSync(target, 'utf8')).toBe('port=old\n');
  });
});

describe('--noop before the destination directory exists', () => {
  it('shows the new file as a diff, says the directory is missing, and exits 1 as the real run would', async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'conf.d/app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "etc/app/app.conf"\nkeys = ["/app"]\n');
    writeFileSync(path.join(dir, 'conf.d/other.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/other.conf"\nkeys = ["/app"]\n');
    const r = await onetime(dir, '--noop');
    expect(r.stdout).toContain('# app.toml\n');
    expect(r.stdout).toContain('(new file)');
    expect(r.stdout).toContain('+port=1');
    expect(r.stdout).toContain('# other.toml\n'); // the other resources are shown too
    expect(r.stderr).toContain(`app.toml: destination directory ${path.join(dir, 'etc/app')} does not exist; the diff shows the new file, but a run would fail here`);
    expect(r.code).toBe(1);
    expect(existsSync(path.join(dir, 'etc'))).toBe(false);
    expect(existsSync(path.join(dir, 'out/other.conf'))).toBe(false);

    // The real run fails the same way, with the same exit code.
    const real = await onetime(dir);
    expect(real.code).toBe(1);
    expect(real.stderr).toContain(`destination directory ${path.join(dir, 'etc/app')} does not exist; create it`);
  });
});
