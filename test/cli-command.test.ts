// keyplate as an entrypoint: `keyplate … -- command`, run as a process the way a container runs it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, cliPath, keyplateCommand, readIfExists, root, runCli, startCli, tempDir, testBinary, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

const fixture = (name: string): string => path.join(root, 'test', 'fixtures', name);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

describe('--onetime -- command', () => {
  it.each([
    ['exit 0', 'exit 0', 0],
    ['exit 7', 'exit 7', 7],
    ['death by SIGKILL', 'kill -KILL $$', 137],
    ['a command that is not there', undefined, 127],
  ])('%s: keyplate exits with the command\'s code', async (_name, script, code) => {
    const dir = appConfdir();
    const command = script === undefined ? ['no-such-command-kp'] : ['sh', '-c', `cat ${dir}/out/app.conf; ${script}`];
    const r = await runCli(['--onetime', '--confdir', dir, '--', ...command], { env: baseEnv({ APP_PORT: '8' }) });
    // As a shell (or a container runtime) reports it: where keyplate exec'd the command (Node 24, the executable),
    // the process that died by SIGKILL is keyplate's own pid.
    expect(r.code ?? 128 + constants.signals[r.signal as NodeJS.Signals]).toBe(code);
    if (script !== undefined) expect(r.stdout).toBe('port=8\n');
  });

  it('a render with keys missing does not start the command (exit 3)', async () => {
    const dir = appConfdir();
    const marker = path.join(dir, 'started');
    const r = await runCli(['--onetime', '--confdir', dir, '--', 'touch', marker], { env: baseEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/app\.toml: missing \/app\/port \(set APP_PORT\)/);
    expect(r.stderr).toMatch(/not starting touch: the render failed/);
    expect(existsSync(marker)).toBe(false);
  });

  it('SIGTERM to keyplate reaches the command\'s trap (a supervised child on Node 20, keyplate\'s own pid after execve)', async () => {
    const dir = appConfdir();
    const state = tempDir();
    const kp = startCli(['--onetime', '--confdir', dir, '--', fixture('trap-signals.sh'), state], { env: baseEnv({ APP_PORT: '1' }) });
    await waitFor(() => existsSync(path.join(state, 'ready')), 10_000, 'command ready');
    kp.child.kill('SIGTERM');
    const { code } = await kp.exited;
    expect(readIfExists(path.join(state, 'trapped'))).toBe('term\n');
    expect(code).toBe(0);
  });
});

describe('--onetime -- command on a Node with process.execve', () => {
  let node24: string;
  beforeAll(async () => {
    const prefix = path.join(root, '.servers', 'node');
    node24 = path.join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');
    if (!existsSync(node24)) {
      await promisify(execFile)('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-${process.platform}-${process.arch}@24.21.0`]);
    }
  }, 300_000);

  it('the command replaces keyplate: same pid', async () => {
    const dir = appConfdir();
    const { spawn } = await import('node:child_process');
    // Node 24 has process.execve; the compiled executable (Bun) has it too.
    const [bin, ...pre] = testBinary === 'exe' ? keyplateCommand : [node24, cliPath];
    const proc = spawn(bin, [...pre, '--onetime', '--confdir', dir, '--', 'sh', '-c', 'echo $$; exit 3'], { env: baseEnv({ APP_PORT: '1' }) });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    expect(code).toBe(3);
    expect(Number(out.trim())).toBe(proc.pid);
  });
});

describe('watch mode with a command', () => {
  it('starts the command only after every resource rendered; reload_signal is delivered on change; SIGTERM is forwarded and its code returned', async () => {
    const dir = appConfdir({ toml: 'reload_signal = "SIGUSR1"\n' });
    const state = tempDir();
    writeFileSync(path.join(dir, 'dev.env'), 'APP_OTHER=x\n'); // /app/port missing at first
    const { code } = await whileRunning([...appFlags(dir), '--', fixture('trap-signals.sh'), state], { env: baseEnv() }, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
      expect(existsSync(path.join(state, 'ready'))).toBe(false);
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=1\n');
      await waitFor(() => existsSync(path.join(state, 'ready')), 10_000, 'command started after render');
      expect(readIfExists(path.join(dir, 'out/app.conf'))).toBe('port=1\n');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(path.join(state, 'trapped')) === 'usr1\n', 10_000, 'reload signal');
      // SIGHUP goes to the command when keyplate runs one.
      kp.child.kill('SIGHUP');
      await waitFor(() => readIfExists(path.join(state, 'trapped')) === 'usr1\nhup\n', 10_000, 'forwarded SIGHUP');
    });
    expect(readIfExists(path.join(state, 'trapped'))).toBe('usr1\nhup\nterm\n');
    expect(code).toBe(0);
  });

  it('restart = true stops and starts the command on change', async () => {
    const dir = appConfdir({ toml: 'restart = true\n' });
    const pids = path.join(tempDir(), 'pids');
    const { code } = await whileRunning([...appFlags(dir), '--kill-timeout', '2s', '--', 'sh', '-c', `echo $$ >> ${pids}; exec sleep 1000`], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(pids).split('\n').filter(Boolean).length === 1, 10_000, 'first start');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=5\n');
      await waitFor(() => readIfExists(pids).split('\n').filter(Boolean).length === 2, 10_000, 'restart');
      const [first, second] = readIfExists(pids).trim().split('\n').map(Number);
      expect(first).not.toBe(second);
      expect(alive(first)).toBe(false);
      expect(alive(second)).toBe(true);
      await waitFor(() => kp.out.stderr.includes(`restarted sh (pid ${second})`), 5_000, 'the restart logged with the new pid');
    });
    expect(code).toBe(143); // sleep died of the forwarded SIGTERM
  });

  it('a command that ignores SIGTERM is SIGKILLed after --kill-timeout; grandchildren are stopped too', async () => {
    const dir = appConfdir();
    const state = tempDir();
    const kp = startCli([...appFlags(dir), '--kill-timeout', '500ms', '--', fixture('forks.sh'), state, 'stubborn'], { env: baseEnv() });
    await waitFor(() => existsSync(path.join(state, 'ready')), 10_000, 'command ready');
    const pids = readIfExists(path.join(state, 'pids')).trim().split('\n').map(Number);
    expect(pids.length).toBe(4);
    const started = Date.now();
    kp.child.kill('SIGTERM');
    const { code } = await kp.exited;
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(code).toBe(0); // the shell's own trap exits 0; its stubborn grandchild was killed
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(kp.out.stderr).toMatch(/WARN  command \(pid \d+\) still running 0\.5s after the stop signal \(--kill-timeout\): killing its process group with SIGKILL/);
  });

  it('a command held back by a resource that failed its first render says so, naming the resource', async () => {
    const dir = appConfdir({ toml: 'check_cmd = "exit 1"\n' });
    const marker = path.join(tempDir(), 'ran');
    const { out } = await whileRunning([...appFlags(dir), '--', 'touch', marker], { env: baseEnv() }, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('not starting touch yet'), 10_000, 'the held-back line');
    });
    expect(out.stderr).toContain('not starting touch yet: it starts once app.toml has rendered');
    expect(existsSync(marker)).toBe(false);
  });

  it('the command exiting ends keyplate with its code; a death by signal is named', async () => {
    const dir = appConfdir();
    const r = await runCli([...appFlags(dir), '--', 'sh', '-c', 'exit 42'], { env: baseEnv() });
    expect(r.code).toBe(42);
    expect(r.stderr).toContain('command exited with code 42\n');
    const directory = await runCli(['--onetime', ...appFlags(dir), '--', '/etc'], { env: baseEnv() });
    expect(directory.code).toBe(126);
    expect(directory.stderr).toContain('command `/etc`: is a directory, not a program');
    const killed = await runCli([...appFlags(dir), '--', 'sh', '-c', 'kill -SEGV $$'], { env: baseEnv() });
    expect(killed.code).toBe(139);
    expect(killed.stderr).toContain('command exited with code 139 (killed by SIGSEGV)');
  });
});

describe('keyplate as PID 1', () => {
  it.runIf(process.getuid?.() === 0)('reaps orphaned zombies and still reports the command\'s exit code', async () => {
    const dir = appConfdir();
    const script = [
      // orphans: children of a subshell that exits at once; they are re-parented to PID 1 (keyplate)
      '(sleep 0.2 & sleep 0.3 & exit 0)',
      'sleep 1',
      // no zombie may remain among PID 1's children
      'for s in /proc/[0-9]*/stat; do set -- $(cat $s 2>/dev/null); [ "$4" = 1 ] && [ "$3" = Z ] && echo "zombie $1"; done',
      'exit 5',
    ].join('; ');
    const r = await promisify(execFile)('unshare', ['--pid', '--fork', '--mount-proc', ...keyplateCommand, ...appFlags(dir), '--', 'sh', '-c', script], { env: baseEnv() }).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );
    expect(r.stderr).not.toMatch(/reaper: cannot load/);
    expect(r.stdout).not.toMatch(/zombie/);
    expect(r.code).toBe(5);
  });
});
