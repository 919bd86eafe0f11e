// dist/keyplate.cjs: the bundle loads through V8's code cache on Node 20, seeded by the build with a typical run.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, currentNode, root, tempDir } from './util.js';

afterEach(cleanupTemps);

// The suite runs on this machine's Node 20 (the vm.Script path); a current Node takes Node's own compile cache.
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

describe('the code cache on a current Node', () => {
  it("is Node's own compile cache, written to dist/.v8-cache, and read by the next start", () => {
    const node = currentNode();
    const dist = copyOfDist();
    // Only this machine's Node 20 cache files: what a current Node writes is a directory of its own.
    for (const f of readdirSync(path.join(dist, '.v8-cache'))) if (!f.endsWith('.cache')) rmSync(path.join(dist, '.v8-cache', f), { recursive: true });
    const before = new Set(readdirSync(path.join(dist, '.v8-cache')));
    expect(run(dist, ['--version'], node).stdout).toMatch(/^keyplate \d/);
    const added = readdirSync(path.join(dist, '.v8-cache')).filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    expect(statSync(path.join(dist, '.v8-cache', added[0])).isDirectory()).toBe(true);
    // A second start reads what the first wrote.
    expect(run(dist, ['--version'], node).code).toBe(0);
  });
});
