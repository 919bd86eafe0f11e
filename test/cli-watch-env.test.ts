// Local development: the env backend in watch mode follows edits to env files and the confdir.
import { writeFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, makeConfdir, readIfExists, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);


describe('env backend, --watch', () => {
  it('renders at once, follows env-file and template edits, survives a broken edit, stops on SIGTERM with exit 0', async () => {
    const dir = appConfdir();
    const out = path.join(dir, 'out/app.conf');
    const { code } = await whileRunning(['--watch', ...appFlags(dir), '--wait-min', '10ms'], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(out) === 'port=1\n', 10_000, 'first render');
      expect(kp.out.stderr).toMatch(/cannot see changes to the process environment/);

      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(out) === 'port=2\n', 10_000, 'env file edit');

      writeFileSync(path.join(dir, 'templates/app.tmpl'), 'listen={{getv "/app/port"}}\n');
      await waitFor(() => readIfExists(out) === 'listen=2\n', 10_000, 'template edit');

      writeFileSync(path.join(dir, 'templates/app.tmpl'), 'broken {{#if}\n');
      await waitFor(() => /confdir edit rejected, still running the last good version: .*app\.tmpl:1:\d+: template syntax error/.test(kp.out.stderr), 10_000, 'rejection');
      expect(readIfExists(out)).toBe('listen=2\n');

      writeFileSync(path.join(dir, 'templates/app.tmpl'), 'fixed={{getv "/app/port"}}\n');
      await waitFor(() => readIfExists(out) === 'fixed=2\n', 10_000, 'fixed template');

      writeFileSync(path.join(dir, 'conf.d/second.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/second.conf"\nkeys = ["/app"]\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/second.conf')) === 'fixed=2\n', 10_000, 'new resource');
    });
    expect(code).toBe(0);
  });

  it('waits when a key is missing from the env file, says which, and renders once it appears', async () => {
    const dir = appConfdir({ template: '{{getv "/app/host"}}:{{getv "/app/port"}}\n', env: 'APP_HOST=h\n' });
    const out = path.join(dir, 'out/app.conf');
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv(), stopSignal: 'SIGINT' }, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('app.toml: waiting for /app/port'), 10_000, 'waiting line');
      expect(existsSync(out)).toBe(false);
      writeFileSync(path.join(dir, 'dev.env'), 'APP_HOST=h\nAPP_PORT=9\n');
      await waitFor(() => readIfExists(out) === 'h:9\n', 10_000, 'render after key appears');
    });
    expect(code).toBe(0);
  });

  it('removing a resource file stops rendering it; the file it wrote stays', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n',
      'conf.d/b.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/b"\nkeys = ["/a"]\n',
      'templates/a.tmpl': '{{getv "/a/v"}}\n',
      'dev.env': 'A_V=1\n',
    });
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(path.join(dir, 'out/b')) === '1\n', 10_000, 'b rendered');
      rmSync(path.join(dir, 'conf.d/b.toml'));
      await waitFor(() => kp.out.stderr.includes('confdir reloaded (files changed): 1 resource'), 10_000, 'reload');
      writeFileSync(path.join(dir, 'dev.env'), 'A_V=2\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === '2\n', 10_000, 'a re-rendered');
      expect(readIfExists(path.join(dir, 'out/b'))).toBe('1\n');
    });
    expect(code).toBe(0);
  });
});

describe('a failing reload_cmd in watch mode', () => {
  it('is reported and retried on the next change instead of being forgotten', async () => {
    const dir = appConfdir({ template: '{{getv "/app/port"}}\n', toml: 'reload_cmd = "test -f reload-ok && echo reloaded >> reloads.log"\n' });
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv(), cwd: dir }, async (kp) => {
      await waitFor(() => /reload_cmd exited with code 1; will retry on the next change/.test(kp.out.stderr), 10_000, 'failure reported');
      writeFileSync(path.join(dir, 'reload-ok'), '');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(path.join(dir, 'reloads.log')) === 'reloaded\n', 10_000, 'retried reload');
    });
    expect(code).toBe(0);
  });
});

describe('SIGHUP without a command', () => {
  it('re-reads the confdir', async () => {
    const dir = appConfdir({ template: '{{getv "/app/port"}}\n' });
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(path.join(dir, 'out/app.conf')) === '1\n', 10_000, 'first render');
      kp.child.kill('SIGHUP');
      await waitFor(() => kp.out.stderr.includes('confdir reloaded (signal): 1 resource'), 10_000, 'reload on SIGHUP');
    });
    expect(code).toBe(0);
  });
});

describe('a resource that fails in watch mode', () => {
  it('keeps the last good file, reports the error once per attempt, and recovers on the next change it reads', async () => {
    const dir = appConfdir({ template: 'ratio={{div 10 (getv "/app/d")}}\n', env: 'APP_D=5\n', toml: 'engine = "handlebars"\n' });
    const out = path.join(dir, 'out/app.conf');
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(out) === 'ratio=2\n', 10_000, 'first render');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_D=0\n');
      await waitFor(() => /app\.tmpl: div: division by zero/.test(kp.out.stderr), 10_000, 'error reported');
      expect(readIfExists(out)).toBe('ratio=2\n');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_D=1\n');
      await waitFor(() => readIfExists(out) === 'ratio=10\n', 10_000, 'recovered');
      expect(kp.out.stderr.match(/division by zero/g)).toHaveLength(1);
    });
    expect(code).toBe(0);
  });
});
