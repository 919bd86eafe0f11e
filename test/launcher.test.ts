// dist/keyplate.cjs: the bundle loads through V8's code cache, made at the end of a run that rendered (seeded by the
// build with a typical one), on Node 20 and a current Node alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, currentNode, root, tempDir } from './util.js';

afterEach(cleanupTemps);

// The suite runs on this machine's Node 20; a current Node (currentNode()) is run as a process where it matters.
const cacheName = `keyplate-main.${process.version}.${process.arch}.cache`;

function copyOfDist(): string {
  const dir = path.join(tempDir(), 'dist');
  cpSync(path.join(root, 'dist'), dir, { recursive: true });
  return dir;
}

function run(dist: string, args: string[], node = process.execPath): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(node, [path.join(dist, 'keyplate.cjs'), ...args], { env: baseEnv(), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the code cache on Node 20', () => {
  it('this suite runs on a Node without module.enableCompileCache', async () => {
    expect(typeof (await import('node:module')).enableCompileCache).toBe('undefined');
  });

  it('the build seeds it with a full render, not whatever runs first', () => {
    const file = path.join(root, 'dist', '.v8-cache', cacheName);
    expect(existsSync(file)).toBe(true);
    // A `--version` run compiles a fraction of what a render does; the seeded cache holds the render path.
    const dist = copyOfDist();
    const seeded = statSync(path.join(dist, '.v8-cache', cacheName)).size;
    cpSync(dist, `${dist}-fresh`, { recursive: true });
    const fresh = `${dist}-fresh`;
    rmSync(path.join(fresh, '.v8-cache'), { recursive: true });
    expect(run(fresh, ['--version']).code).toBe(0);
    expect(statSync(path.join(fresh, '.v8-cache', cacheName)).size).toBeLessThan(seeded);
  });

  it('a corrupt cache is replaced once, and the CLI works throughout', () => {
    const dist = copyOfDist();
    const file = path.join(dist, '.v8-cache', cacheName);
    writeFileSync(file, 'not a code cache');
    const first = run(dist, ['--version']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^keyplate \d/);
    const replaced = readFileSync(file);
    expect(replaced.toString()).not.toBe('not a code cache');
    // Accepted from now on: a second run leaves it alone.
    const mtime = statSync(file).mtimeMs;
    expect(run(dist, ['--version']).code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });
});

describe('a cache made by a run that rendered nothing', () => {
  it('is marked thin, replaced by the next run that renders, and kept from then on', () => {
    const dist = copyOfDist();
    rmSync(path.join(dist, '.v8-cache'), { recursive: true });
    const file = path.join(dist, '.v8-cache', cacheName);
    expect(run(dist, ['--version']).code).toBe(0);
    expect(readFileSync(file).subarray(0, 8).toString('latin1')).toBe('kp-thin ');
    const thin = statSync(file).size;
    const confdir = tempDir();
    cpSync(path.join(root, 'templates-example'), confdir, { recursive: true, filter: (src) => !src.includes(`${path.sep}out${path.sep}`) });
    expect(run(dist, ['--onetime', '--confdir', confdir, '--log-level', 'error']).code).toBe(0);
    expect(readFileSync(file).subarray(0, 8).toString('latin1')).toBe('keyplate');
    expect(statSync(file).size).toBeGreaterThan(thin);
    // Full: neither a later --version nor a later render writes it again.
    const mtime = statSync(file).mtimeMs;
    expect(run(dist, ['--version']).code).toBe(0);
    expect(run(dist, ['--onetime', '--confdir', confdir, '--log-level', 'error']).code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('a read-only install (a global install run by another user) runs, says nothing and writes nothing', () => {
    const dist = copyOfDist();
    rmSync(path.join(dist, '.v8-cache'), { recursive: true });
    // Root writes anywhere: run as nobody then, with the copy readable by all.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    execFileSync('chmod', ['755', path.dirname(dist)]);
    execFileSync('chmod', ['a-w', dist]);
    try {
      const r = spawnSync(process.execPath, [path.join(dist, 'keyplate.cjs'), '--version'], { env: baseEnv(), encoding: 'utf8', ...user });
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(/^keyplate \d/);
      expect(existsSync(path.join(dist, '.v8-cache'))).toBe(false);
    } finally {
      execFileSync('chmod', ['u+w', dist]);
    }
  });
});

describe('the code cache on a current Node', () => {
  it("is keyplate's own, made after the run (Node's compile cache is made before anything runs), and read by the next start", () => {
    const node = currentNode();
    const dist = copyOfDist();
    const version = spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
    const file = path.join(dist, '.v8-cache', `keyplate-main.${version}.${process.arch}.cache`);
    rmSync(file, { force: true }); // a current Node run on this dist before left one
    const confdir = tempDir();
    cpSync(path.join(root, 'templates-example'), confdir, { recursive: true, filter: (src) => !src.includes(`${path.sep}out${path.sep}`) });
    expect(run(dist, ['--onetime', '--confdir', confdir, '--log-level', 'error'], node).code).toBe(0);
    expect(readFileSync(file).subarray(0, 8).toString('latin1')).toBe('keyplate');
    // Accepted by the next start: it is not written again.
    const mtime = statSync(file).mtimeMs;
    expect(run(dist, ['--onetime', '--confdir', confdir, '--log-level', 'error'], node).code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });
});
