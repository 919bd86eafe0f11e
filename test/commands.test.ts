// Commands users write: background children left by check_cmd and reload_cmd, and reload signals that must not
// reach the helpers a program started. The CLI as a process.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, readIfExists, runCli, tempDir, waitFor, whileRunning } from './util.js';

const started: number[] = [];
afterEach(() => {
  // Background children the tests' commands left: stop exactly those.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  cleanupTemps();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function pidIn(file: string): number {
  const pid = Number(readFileSync(file, 'utf8'));
  started.push(pid);
  return pid;
}

describe('a command that leaves a background child', () => {
  it('reload_cmd = "sleep 30 &" is done when its shell exits; the child is neither waited for nor killed', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "sleep 30 & echo $! > bg.pid"\nreload_timeout = "5s"\n' });
    const began = Date.now();
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).not.toContain('timed out');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('app.toml: reloaded');
    expect(Date.now() - began).toBeLessThan(4_000);
    expect(alive(pidIn(path.join(dir, 'bg.pid')))).toBe(true);
  });

  it('check_cmd with a background child: the check passes when its shell exits, and the file is written', async () => {
    const dir = appConfdir({ toml: 'check_cmd = "sleep 30 & echo $! > bg.pid; grep -q port=1 {{src}}"\ncheck_timeout = "5s"\n' });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readIfExists(path.join(dir, 'out/app.conf'))).toBe('port=1\n');
    expect(alive(pidIn(path.join(dir, 'bg.pid')))).toBe(true);
  });

  it('the output the shell wrote before it exited is still logged, even with a child holding the output', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "sleep 30 & echo $! > bg.pid; seq 1 2000; echo last >&2; exit 3"\n' });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reload_cmd exited with code 3');
    expect(r.stderr).not.toContain('will retry'); // --onetime has no next change (issue 9)
    expect(r.stderr).toContain('1999\n2000\n');
    expect(r.stderr).toMatch(/^last$/m);
    pidIn(path.join(dir, 'bg.pid'));
  });

  it('a background child that never stops writing holds keyplate at most half a second after the shell exits', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "(while :; do echo spam; sleep 0.005; done) & echo $! > bg.pid; echo reloading"\n' });
    const began = Date.now();
    const r = await runCli(['--onetime', '--log-level', 'debug', ...appFlags(dir)], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reload_cmd output:\n(spam\n)*reloading/);
    expect(Date.now() - began).toBeLessThan(4_000);
    expect(alive(pidIn(path.join(dir, 'bg.pid')))).toBe(true);
  });

  it('output that ends right at exit, past the socket buffer, loses none of its end (20 runs)', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "yes x | head -c 70000; echo end-of-output; exit 4"\n' });
    for (let i = 0; i < 20; i++) {
      writeFileSync(path.join(dir, 'dev.env'), `APP_PORT=${i + 2}\n`); // a change, so the reload runs
      const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/(x\n){100}end-of-output\n/);
    }
  });
});

describe('reload_signal', () => {
  it('goes to the command alone: a helper the program started in the background survives a reload', async () => {
    const dir = appConfdir({ toml: 'reload_signal = "SIGHUP"\n' });
    const state = tempDir();
    const script = `sleep 1000 & echo $! > ${state}/helper.pid; trap 'echo hup >> ${state}/trapped' HUP; echo $$ > ${state}/ready; while :; do sleep 0.05 & wait $!; done`;
    let helper = 0;
    const { code } = await whileRunning([...appFlags(dir), '--', 'sh', '-c', script], { env: baseEnv() }, async () => {
      await waitFor(() => readIfExists(path.join(state, 'ready')) !== '', 10_000, 'command ready');
      helper = pidIn(path.join(state, 'helper.pid'));
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(path.join(state, 'trapped')) === 'hup\n', 10_000, 'the reload signal');
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(helper)).toBe(true);
    });
    // Termination still goes to the whole group.
    expect(code).toBe(143);
    await waitFor(() => !alive(helper), 5_000, 'the helper stopped with the group');
  });
});

describe('a command whose shell cannot be started', () => {
  it('is said to be not started, with the cause, never "exited with code null"', async () => {
    const { describeFailure, runShell } = await import('../src/process/commands.js');
    // spawn fails before anything runs when its working directory is gone, as it does without /proc in a chroot.
    const result = await runShell('true', { timeoutMs: 5_000, env: baseEnv(), cwd: path.join(tempDir(), 'gone') });
    expect(result).toMatchObject({ ok: false, code: null, startError: expect.stringMatching(/ENOENT/) });
    const said = describeFailure(result, 5_000);
    expect(said).toMatch(/^could not be started \(.*ENOENT.*\); keyplate runs it with \/bin\/sh -c, which needs \/bin\/sh/);
    expect(said).not.toMatch(/code null/);
  });
});
