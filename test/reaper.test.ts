// Zombie reaping as PID 1: real orphans in a fresh pid namespace, with and without the reaper.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSpawnedByNode, readProcStat, startReaper } from '../src/process/reaper.js';
import { bundleProcessModules, fixtures, reaperAddon, root } from './fixtures/bundle.js';

async function waitFor(what: string, probe: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(10);
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyplate-reaper-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Pid1Report {
  pid: number;
  settled: boolean;
  exitCodes: number[];
  orphans: number[];
  zombies: number[];
  reaped: { pid: number; exitCode: number | null; signal: string | null }[];
  warnings: string[];
}

describe('as PID 1 (unshare --pid --fork --mount-proc)', () => {
  let bundleDir: string;
  let bundle: string;
  beforeAll(async () => {
    // The same build a user runs; it exits 0 even on failure, so check for its output.
    await promisify(execFile)(process.execPath, [join(root, 'native', 'reaper', 'build.mjs')]);
    expect(existsSync(reaperAddon), `${reaperAddon} was not built`).toBe(true);
    bundleDir = mkdtempSync(join(tmpdir(), 'keyplate-bundle-'));
    bundle = await bundleProcessModules(bundleDir);
  }, 120_000);
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  const count = 20;
  async function runAsPid1(mode: 'reap' | 'no-reap'): Promise<Pid1Report> {
    // --kill-child: PID 1 ignores SIGTERM without a handler, so only a SIGKILL ends a stuck driver.
    const args = ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, join(fixtures, 'pid1-driver.mjs'),
      bundle, reaperAddon, mode, String(count), dir, '--', join(fixtures, 'orphans.sh'), dir];
    const proc = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 25_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(stdout) as Pid1Report;
  }

  it('reaps orphaned zombies, and every command still reports its own exit code', async () => {
    const report = await runAsPid1('reap');
    expect(report.pid).toBe(1);
    expect(report.warnings).toEqual([]);
    // If the reaper had stolen a Node child's status, its 'exit' would never come and the
    // driver would not get here; the codes prove each status reached the right Child.
    expect(report.exitCodes).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(report.orphans).toHaveLength(count * 2);
    expect(report.settled).toBe(true);
    expect(report.zombies).toEqual([]);
    expect(report.reaped.map((orphan) => orphan.pid).sort()).toEqual([...report.orphans].sort());
    // orphans.sh's orphans: `sleep 0.1` exits 0, `sh -c 'exit 3'` exits 3.
    expect(report.reaped.map((orphan) => orphan.exitCode).sort()).toEqual([
      ...Array<number>(count).fill(0),
      ...Array<number>(count).fill(3),
    ]);
  });

  it('without the reaper the same orphans stay zombies (what the reaper prevents)', async () => {
    const report = await runAsPid1('no-reap');
    expect(report.pid).toBe(1);
    expect(report.exitCodes).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(report.settled).toBe(true);
    expect(report.zombies).toEqual(expect.arrayContaining(report.orphans));
  });
});

describe('startReaper outside PID 1', () => {
  it('does nothing unless forced', () => {
    const before = process.listenerCount('SIGCHLD');
    const warnings: string[] = [];
    const dispose = startReaper({ warn: (m) => warnings.push(m) });
    expect(process.listenerCount('SIGCHLD')).toBe(before);
    dispose();
    expect(warnings).toEqual([]);
  });

  it('forced, listens for SIGCHLD until disposed; dispose is idempotent', () => {
    const before = process.listenerCount('SIGCHLD');
    const dispose = startReaper({ force: true, addonPath: reaperAddon });
    expect(process.listenerCount('SIGCHLD')).toBe(before + 1);
    dispose();
    dispose();
    expect(process.listenerCount('SIGCHLD')).toBe(before);
  });

  it('warns once, suggesting docker run --init, when the addon cannot load', () => {
    const warnings: string[] = [];
    const missing = join(dir, 'missing', 'reaper.node');
    startReaper({ force: true, addonPath: missing, warn: (m) => warnings.push(m) })();
    startReaper({ force: true, addonPath: missing, warn: (m) => warnings.push(m) })();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot load ${missing}`);
    expect(warnings[0]).toContain('will stay zombies');
    expect(warnings[0]).toContain('docker run --init');
  });
});

describe('what the reaper reads', () => {
  it('knows every child that child_process spawned until libuv reaps it', async () => {
    const proc = spawn('sleep', ['1000']);
    const pid = proc.pid as number;
    expect(isSpawnedByNode(pid)).toBe(true);
    expect(isSpawnedByNode(process.pid)).toBe(false);
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    expect(isSpawnedByNode(pid)).toBe(false);
  });

  it('parses /proc/<pid>/stat when the command name holds ") " and spaces', async () => {
    // The kernel names a process after the file it ran; a symlink makes a hostile name.
    const sleepCopy = join(dir, 'sleep');
    copyFileSync('/bin/sleep', sleepCopy);
    const hostile = join(dir, 'x) Z 1 (y');
    symlinkSync(sleepCopy, hostile);
    const proc = spawn(hostile, ['1000']);
    try {
      const pid = proc.pid as number;
      await waitFor('the exec', () => readFileSync(`/proc/${pid}/comm`, 'utf8') === 'x) Z 1 (y\n');
      await waitFor('the sleep', () => readProcStat(pid)?.state === 'S');
      expect(readProcStat(pid)).toEqual({ pid, state: 'S', ppid: process.pid, pgrp: expect.any(Number) });
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
