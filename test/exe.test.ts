// The compiled executable on its own (`npm run build:exe`): copied alone into an empty directory, run with no Node on
// PATH and no node_modules above it, the way it runs in someone else's image. The rest of the process-level suite
// runs against it too (vitest project `exe`); this file covers what only a copied executable can get wrong.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRendered, followsOnePut, startExe } from './exe-scenarios.js';
import { useConsul, useEtcd } from './lifecycle.js';
import { cleanupTemps, exePath, makeConfdir } from './util.js';

afterEach(cleanupTemps);

let home: string;
let exe: string;
beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'keyplate-exe-alone-'));
  mkdirSync(path.join(home, 'bin'));
  exe = path.join(home, 'bin', 'keyplate');
  copyFileSync(exePath, exe);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** PATH holds keyplate alone: no `node` to fall back on (this machine has one in /usr/bin). */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: path.join(home, 'bin'), HOME: home, KEYPLATE_CACHE_DIR: 'off', ...extra });

function run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return startExe([exe], args, { env: options.env ?? env(), cwd: options.cwd ?? home });
}

const resource = (backendKeys: string) => ({
  'conf.d/app.toml': `[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nprefix = "/app"\nkeys = ["${backendKeys}"]\n`,
  'templates/app.tmpl': '{{#each (gets "/upstream/*")}}{{base key}}={{value}}\n{{/each}}',
});

describe('the executable alone', () => {
  it('needs no Node on PATH: --version, --help and an --onetime render', async () => {
    expect((await run(['--version']).exited).stdout).toMatch(/^keyplate \d+\.\d+\.\d+/);
    expect((await run(['--help']).exited).stdout).toContain('--onetime');
    const dir = makeConfdir(resource('/upstream'));
    const r = await run(['--onetime', '--confdir', dir], { env: env({ APP_UPSTREAM_A: '10.0.0.1:80' }) }).exited;
    expect(r).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('a=10.0.0.1:80\n');
  });

  it("reads no .env or bunfig.toml from the working directory: only keyplate's flags choose the environment", async () => {
    const dir = makeConfdir({ ...resource('/upstream'), 'templates/app.tmpl': '{{getv "/upstream/a"}}\n' });
    writeFileSync(path.join(dir, '.env'), 'APP_UPSTREAM_A=from-dotenv\n');
    writeFileSync(path.join(dir, 'bunfig.toml'), 'preload = ["./nope.ts"]\n');
    const r = await run(['--onetime', '--confdir', dir], { cwd: dir }).exited;
    expect(r.stderr).toContain('app.toml: missing /app/upstream/a (set APP_UPSTREAM_A)');
    expect(r.code).toBe(3); // keys missing (README: exit codes)
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(false);
  });
});

describe('the executable alone, against etcd (gRPC and its .proto files are inside)', () => {
  const ctx = useEtcd();
  it('renders, then follows a put in watch mode, and stops on SIGTERM with exit 0', async () => {
    await ctx.client.put('/app/upstream/a').value('10.0.0.1:80');
    const dir = makeConfdir(resource('/upstream'));
    const kp = run(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '20ms']);
    await followsOnePut(kp, path.join(dir, 'out/app.conf'), ['a=10.0.0.1:80\n', 'a=10.0.0.1:80\nb=10.0.0.2:80\n'], () => ctx.client.put('/app/upstream/b').value('10.0.0.2:80'));
  });
});

describe('the executable alone, against Consul', () => {
  const ctx = useConsul({}, { seed: { 'app/upstream/a': '10.0.0.1:80' } });
  it('renders with --onetime', async () => {
    const dir = makeConfdir(resource('/upstream'));
    const r = await run(['--onetime', '--backend', 'consul', '--node', ctx.agent.address, '--confdir', dir]).exited;
    expectRendered(r, path.join(dir, 'out/app.conf'), 'a=10.0.0.1:80\n');
  });
});
