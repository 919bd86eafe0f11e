// The loader's lstat of each dest is lent to that dest's first write at the same start (one lstat per resource
// instead of two), and never trusted beyond that: once, within a second, and never for a link.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { destProblems, takeStartStat } from '../src/resources/destination.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyplate-start-stat-'));
  dirs.push(dir);
  return dir;
}

describe('takeStartStat', () => {
  it('lends a regular file its Stats and a missing dest null, each once', () => {
    const dir = scratch();
    const file = path.join(dir, 'a.conf');
    const missing = path.join(dir, 'b.conf');
    writeFileSync(file, 'x\n');
    expect(destProblems([{ dest: file }, { dest: missing }]).size).toBe(0);
    expect(takeStartStat(file)?.size).toBe(2);
    expect(takeStartStat(missing)).toBeNull();
    // Taken: a later write of the same dest looks at the disk again.
    expect(takeStartStat(file)).toBeUndefined();
    expect(takeStartStat(missing)).toBeUndefined();
  });

  it('lends nothing for a link (the write follows it itself) or a dest the loader refused', () => {
    const dir = scratch();
    const target = path.join(dir, 'target.conf');
    const link = path.join(dir, 'link.conf');
    const directory = path.join(dir, 'dir.conf');
    writeFileSync(target, 'x\n');
    symlinkSync(target, link);
    mkdirSync(directory);
    expect([...destProblems([{ dest: link }, { dest: directory }]).keys()]).toEqual([directory]);
    expect(takeStartStat(link)).toBeUndefined();
    expect(takeStartStat(directory)).toBeUndefined();
  });

  it('lends nothing once a second has passed since the loader looked (a watcher that waited for keys)', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = scratch();
    const file = path.join(dir, 'a.conf');
    writeFileSync(file, 'x\n');
    destProblems([{ dest: file }]);
    vi.setSystemTime(Date.now() + 1_001);
    expect(takeStartStat(file)).toBeUndefined();
  });

  it('forgets the last start when the loader looks again (a confdir reload)', () => {
    const dir = scratch();
    const a = path.join(dir, 'a.conf');
    const b = path.join(dir, 'b.conf');
    destProblems([{ dest: a }]);
    destProblems([{ dest: b }]);
    expect(takeStartStat(a)).toBeUndefined();
    expect(takeStartStat(b)).toBeNull();
  });
});
