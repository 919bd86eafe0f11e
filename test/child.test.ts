// The command keyplate runs: supervised as a Child, or replacing keyplate through execOrRun.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Child, ChildError, exitCodeOf, forwardableSignals, type ChildOptions } from '../src/process/child.js';
import { canExecve, resolveCommand } from '../src/process/exec.js';
import { readProcStat } from '../src/process/reaper.js';
import { bundleProcessModules, fixtures } from './fixtures/bundle.js';
import { currentNode } from './util.js';

const fixture = (name: string): string => join(fixtures, name);
const isAlive = (pid: number): boolean => {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
};
const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Polls `probe` until it returns something truthy; fails naming `what` after `timeout` ms. */
async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(10);
  }
}

let dir: string;
let children: Child[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyplate-child-'));
});
afterEach(async () => {
  await Promise.all(children.map((child) => child.close()));
  children = [];
  rmSync(dir, { recursive: true, force: true });
});

function child(command: string[], options?: ChildOptions): Child {
  const created = new Child(command, options);
  children.push(created);
  return created;
}

describe('Child', () => {
  it.each([
    { name: 'exits 0', command: ['exit-with.sh', '0'], exitCode: 0, signal: null },
    { name: 'exits 7', command: ['exit-with.sh', '7'], exitCode: 7, signal: null },
    { name: 'dies by SIGKILL: 128+9', command: ['kill-self.sh', 'KILL'], exitCode: 137, signal: 'SIGKILL' },
  ])('reports the exit code as a shell does: $name', async ({ command, exitCode, signal }) => {
    const [name, ...args] = command as [string, ...string[]];
    const c = child([fixture(name), ...args]);
    const exits: unknown[][] = [];
    c.on('exit', (...event) => exits.push(event));
    await c.start();
    expect(await c.exited).toBe(exitCode);
    expect(exits).toEqual([[exitCode, signal]]);
  });

  it('maps signals like a shell', () => {
    expect(exitCodeOf(null, 'SIGTERM')).toBe(143);
    expect(exitCodeOf(3, null)).toBe(3);
  });

  it('rejects start() with exit code 127 when the command is not on PATH', async () => {
    const c = child(['keyplate-no-such-command']);
    const error = await c.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChildError);
    expect(error).toMatchObject({ exitCode: 127, message: expect.stringContaining('not found on PATH') });
  });

  it('runs in its own process group and forwards signals to it; stop() lets its TERM trap run', async () => {
    const c = child([fixture('trap-signals.sh'), dir]);
    const pid = await c.start();
    await waitFor('the traps', () => existsSync(join(dir, 'ready')));
    expect(readProcStat(pid)?.pgrp).toBe(pid);
    expect(c.signalGroup('SIGHUP')).toBe(true);
    await waitFor('the HUP trap', () => lines(join(dir, 'trapped')).includes('hup'));
    await c.stop();
    expect(await c.exited).toBe(0);
    expect(lines(join(dir, 'trapped'))).toEqual(['hup', 'term']);
    expect(c.signalGroup('SIGHUP')).toBe(false);
    expect(c.signal('SIGHUP')).toBe(false);
  });

  it('SIGKILLs a command that ignores SIGTERM once killTimeout has passed', async () => {
    const c = child([fixture('ignore-term.sh'), dir], { killTimeoutMs: 300 });
    const kills: number[] = [];
    c.on('kill', (pid) => kills.push(pid));
    const pid = await c.start();
    await waitFor('the ignore', () => existsSync(join(dir, 'ready')));
    const started = performance.now();
    await c.stop();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await c.exited).toBe(137);
    expect(kills).toEqual([pid]);
  });

  it('stops every grandchild and great-grandchild with the command', async () => {
    const c = child([fixture('forks.sh'), dir]);
    const pid = await c.start();
    await waitFor('the forks', () => existsSync(join(dir, 'ready')));
    const descendants = lines(join(dir, 'pids')).map(Number);
    expect(descendants).toHaveLength(3);
    expect(descendants.every(isAlive)).toBe(true);
    await c.stop();
    expect(await c.exited).toBe(143);
    await waitFor('every descendant to be gone', () => ![pid, ...descendants].some(isAlive));
  });

  it('SIGKILLs grandchildren that outlive the command by ignoring SIGTERM', async () => {
    const c = child([fixture('forks.sh'), dir, 'stubborn'], { killTimeoutMs: 300 });
    const kills: number[] = [];
    c.on('kill', (pid) => kills.push(pid));
    const pid = await c.start();
    await waitFor('the forks', () => existsSync(join(dir, 'ready')));
    const descendants = lines(join(dir, 'pids')).map(Number);
    await c.stop();
    // The command itself exited 0 from its trap; stop() still waited for, then killed, the rest.
    expect(await c.exited).toBe(0);
    expect(kills).toEqual([pid]);
    await waitFor('every descendant to be gone', () => !descendants.some(isAlive));
  });

  it('restart() stops the command and starts a new one', async () => {
    const c = child([fixture('record-pid.sh'), dir]);
    const spawned: number[] = [];
    c.on('spawn', (pid) => spawned.push(pid));
    const first = await c.start();
    await waitFor('the first run', () => lines(join(dir, 'pids')).length === 1);
    const second = await c.restart();
    await waitFor('the second run', () => lines(join(dir, 'pids')).length === 2);
    expect(second).not.toBe(first);
    expect(spawned).toEqual([first, second]);
    expect(c.pid).toBe(second);
    expect(isAlive(first)).toBe(false);
    expect(c.running).toBe(true);
  });

  it('close() is idempotent, stops the command, and forbids a new start', async () => {
    const c = child([fixture('record-pid.sh'), dir]);
    await c.start();
    const closing = c.close();
    expect(c.close()).toBe(closing);
    await closing;
    expect(c.running).toBe(false);
    expect(await c.exited).toBe(143);
    await expect(c.start()).rejects.toThrow(/after close/);
  });

  it('refuses an empty command and a negative killTimeout with the offending value', () => {
    expect(() => new Child([])).toThrow(/expected a program to run after `--`/);
    expect(() => new Child(['true'], { killTimeoutMs: -1 })).toThrow('kill_timeout: expected a non-negative number of milliseconds, got `-1` (number)');
  });
});

describe('forwardableSignals', () => {
  it('forwards every catchable signal but SIGCHLD, keyplate-only ones and the reload signal', () => {
    const all = forwardableSignals();
    expect(all).toEqual(expect.arrayContaining(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT']));
    for (const never of ['SIGCHLD', 'SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGPIPE', 'SIGTTIN', 'SIGTTOU']) expect(all).not.toContain(never);
    expect(forwardableSignals('SIGHUP')).not.toContain('SIGHUP');
    expect(forwardableSignals('SIGHUP')).toHaveLength(all.length - 1);
  });
});

// run-keyplate.mjs stands in for keyplate's CLI: it logs to stderr, then calls execOrRun().
interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}
interface ReportEntry {
  pid?: number;
  mode?: 'execve' | 'child';
  file?: string;
}

let bundle: string;
let bundleDir: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'keyplate-bundle-'));
  bundle = await bundleProcessModules(bundleDir);
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

function runKeyplate(node: string, command: string[], options: { env?: NodeJS.ProcessEnv; input?: Buffer } = {}) {
  const report = join(dir, 'report.jsonl');
  const proc = spawn(node, [fixture('run-keyplate.mjs'), bundle, report, '--', ...command], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.stdin.end(options.input ?? Buffer.alloc(0));
  const done = new Promise<Finished>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(stdout), stderr })),
  );
  const entries = (): ReportEntry[] => lines(report).map((line) => JSON.parse(line) as ReportEntry);
  return { proc, done, entries };
}

const rawInput = Buffer.from([0x68, 0x69, 0x0d, 0x0a, 0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x6d, 0x0a, 0x7a]);
const expectedStdout = Buffer.concat([rawInput, Buffer.from('out:\r\n\0tail', 'latin1')]);

describe('execOrRun on this machine’s Node, supervising the command', () => {
  const childMode = { KEYPLATE_TEST_MODE: 'child' };

  it.each([
    { name: 'exit 0', command: ['exit-with.sh', '0'], exitCode: 0 },
    { name: 'exit 7', command: ['exit-with.sh', '7'], exitCode: 7 },
    { name: 'death by SIGKILL', command: ['kill-self.sh', 'KILL'], exitCode: 137 },
  ])('keyplate exits with the command’s code: $name', async ({ command, exitCode }) => {
    const [name, ...args] = command as [string, ...string[]];
    const run = runKeyplate(process.execPath, [fixture(name), ...args], { env: childMode });
    const finished = await run.done;
    expect(finished).toMatchObject({ code: exitCode, signal: null });
    expect(run.entries()[1]).toEqual({ mode: 'child', file: fixture(name) });
  });

  it('takes the child path by itself where the runtime has no process.execve', async () => {
    const run = runKeyplate(process.execPath, [fixture('exit-with.sh'), '5']);
    expect((await run.done).code).toBe(5);
    expect(run.entries()[1]?.mode).toBe(canExecve() ? 'execve' : 'child');
  });

  it('passes stdin, stdout and stderr through byte for byte', async () => {
    const run = runKeyplate(process.execPath, [fixture('echo-stdio.sh')], { env: childMode, input: rawInput });
    const finished = await run.done;
    expect(finished.code).toBe(0);
    expect(finished.stdout.equals(expectedStdout)).toBe(true);
    expect(finished.stderr).toBe('keyplate: starting\nerr:\r\n\0tail');
  });

  it('forwards signals sent to keyplate; SIGTERM runs the command’s trap and keyplate exits with its code', async () => {
    const run = runKeyplate(process.execPath, [fixture('trap-signals.sh'), dir], { env: childMode });
    await waitFor('the traps', () => existsSync(join(dir, 'ready')));
    run.proc.kill('SIGUSR1');
    await waitFor('the USR1 trap', () => lines(join(dir, 'trapped')).includes('usr1'));
    run.proc.kill('SIGTERM');
    expect(await run.done).toMatchObject({ code: 0, signal: null });
    expect(lines(join(dir, 'trapped'))).toEqual(['usr1', 'term']);
  });

  it('on SIGINT escalates to SIGKILL after the kill timeout when the command ignores it', async () => {
    const run = runKeyplate(process.execPath, [fixture('ignore-term.sh'), dir], {
      env: { ...childMode, KEYPLATE_TEST_KILL_TIMEOUT: '300' },
    });
    await waitFor('the ignore', () => existsSync(join(dir, 'ready')));
    run.proc.kill('SIGTERM');
    expect(await run.done).toMatchObject({ code: 137, signal: null });
  });
});

describe('execOrRun where the runtime has process.execve (Node 24)', () => {
  let node24: string;
  beforeAll(async () => {
    node24 = currentNode();
    expect(execFileSync(node24, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).trim()).toBe('function');
  }, 300_000);

  it('replaces keyplate: same pid, blocking stdio, default signal dispositions, its own exit code', async () => {
    const script = 'echo $$; grep ^flags /proc/$$/fdinfo/1; grep ^SigIgn /proc/$$/status; exit 9';
    const run = runKeyplate(node24, ['sh', '-c', script]);
    const finished = await run.done;
    expect(finished).toMatchObject({ code: 9, signal: null, stderr: 'keyplate: starting\n' });
    const [keyplate, chosen] = run.entries();
    expect(chosen).toEqual({ mode: 'execve', file: resolveCommand('sh') });
    const [pid, flags, sigIgn] = finished.stdout.toString().trim().split('\n');
    expect(Number(pid)).toBe(keyplate?.pid);
    // O_NONBLOCK (04000) on the shared stdout would make the command's writes fail with EAGAIN.
    expect(Number.parseInt(flags?.split(/\s+/)[1] ?? '', 8) & 0o4000).toBe(0);
    // Node ignores SIGPIPE and SIGXFSZ; the command gets the defaults back.
    expect(sigIgn).toMatch(/^SigIgn:\s+0+$/);
  });

  it('passes stdin, stdout and stderr through byte for byte', async () => {
    const run = runKeyplate(node24, [fixture('echo-stdio.sh')], { input: rawInput });
    const finished = await run.done;
    expect(run.entries()[1]?.mode).toBe('execve');
    expect(finished.code).toBe(0);
    expect(finished.stdout.equals(expectedStdout)).toBe(true);
    expect(finished.stderr).toBe('keyplate: starting\nerr:\r\n\0tail');
  });

  it('exits 127 with the command named when it is not on PATH', async () => {
    const run = runKeyplate(node24, ['keyplate-no-such-command']);
    const finished = await run.done;
    expect(finished.code).toBe(127);
    expect(finished.stderr).toContain('command `keyplate-no-such-command`: not found on PATH');
  });
});
