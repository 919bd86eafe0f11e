// The npm package as a user gets it: packed from a fresh checkout (no dist/, no native build, no caches), installed
// with `npm i -g` into a temporary prefix, and run from there. Node-only by nature (it is the Node package).
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, root } from './util.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };

let work: string;
let packed: { filename: string; files: { path: string }[] };
let prefix: string;
let installLog: string;
const keyplate = (): string => path.join(prefix, 'bin', 'keyplate');
const installed = (): string => path.join(prefix, 'lib', 'node_modules', pkg.name);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'keyplate-package-'));
  // A fresh checkout: the files git tracks (and new ones it would), without dist/, exe/ or any build output.
  const checkout = path.join(work, 'checkout');
  const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(path.join(root, file))) continue; // deleted in the work tree, not yet in the index
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(checkout, file));
  }
  // The devDependencies prepack builds with, as `npm ci` would install them.
  symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: checkout, maxBuffer: 16 << 20 });
  packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0];
  prefix = path.join(work, 'prefix');
  const install = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', path.join(work, packed.filename)], { cwd: work });
  installLog = install.stdout + install.stderr;
}, 240_000);
afterAll(() => {
  cleanupTemps();
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack from a fresh checkout', () => {
  it('builds dist/ in prepack and ships only what a user runs: no tests, bench, caches or build output', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'dist/keyplate-go.cjs',
      'dist/keyplate-main.cjs',
      'dist/keyplate.cjs',
      'dist/vendor/chokidar.cjs',
      'dist/vendor/diff.cjs',
      'dist/vendor/etcd.cjs',
      'dist/vendor/handlebars.cjs',
      'native/reaper/binding.gyp',
      'native/reaper/build.mjs',
      'native/reaper/reaper.c',
      'package.json',
    ]);
  });
});

describe('npm i -g of the packed package', () => {
  it('gives a keyplate command that tells its version', async () => {
    const r = await run(keyplate(), ['--version'], { env: baseEnv() });
    expect(r.stdout.trim()).toBe(`keyplate ${pkg.version}`);
  });

  it('renders with --onetime and checks a confdir', async () => {
    const dir = appConfdir({ env: 'APP_PORT=8080\n' });
    const render = await run(keyplate(), ['--onetime', ...appFlags(dir)], { env: baseEnv() });
    expect(render.stderr).toContain('updated');
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('port=8080\n');
    const check = spawnSync(keyplate(), ['check', ...appFlags(dir)], { env: baseEnv(), encoding: 'utf8' });
    expect(check.stderr).not.toMatch(/ERROR/);
    expect(check.status).toBe(0);
    const broken = appConfdir({ template: 'port={{getv "/app/port"\n' });
    const failed = spawnSync(keyplate(), ['check', ...appFlags(broken)], { env: baseEnv(), encoding: 'utf8' });
    expect(failed.stderr).toContain('app.tmpl');
    expect(failed.status).toBe(2);
  });

  it('built the zombie reaper at install, where a compiler exists (this machine has one)', () => {
    expect(installLog).not.toContain('building the addon failed');
    expect(existsSync(path.join(installed(), 'native', 'reaper', 'build', 'Release', 'reaper.node'))).toBe(true);
  });

  it('as PID 1 without the reaper, warns once and recommends docker run --init, and still runs the command', () => {
    const copy = path.join(work, 'no-reaper');
    cpSync(installed(), copy, { recursive: true });
    rmSync(path.join(copy, 'native', 'reaper', 'build'), { recursive: true, force: true });
    const dir = appConfdir({ env: 'APP_PORT=1\n' });
    const args = ['--pid', '--fork', '--mount-proc', process.execPath, path.join(copy, 'dist', 'keyplate.cjs'), ...appFlags(dir), '--', 'sh', '-c', 'sleep 0.1; exit 4'];
    const r = spawnSync('unshare', args, { env: baseEnv(), encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr.match(/docker run --init/g)).toHaveLength(1);
    expect(r.status).toBe(4);
  });
});
