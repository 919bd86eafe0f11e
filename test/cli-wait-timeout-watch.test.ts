// --wait-timeout bounds a start's wait: in watch mode, once every resource has rendered (and a command has started),
// a key deleted later is waited for as long as it takes, the files staying as they are; and a wait that a confdir
// edit ends (a default in the template, the resource removed) is over, not given up on later.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, cleanupTemps, readIfExists, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('--wait-timeout in watch mode', () => {
  it('a key deleted after the first render is waited for past the timeout: no exit, the command keeps running', async () => {
    const dir = appConfdir();
    const marker = path.join(dir, 'app-ran');
    const args = ['--watch', ...appFlags(dir), '--wait-timeout', '1s', '--', 'sh', '-c', `touch ${marker}; exec sleep 30`];
    const result = await whileRunning(args, {}, async (kp) => {
      await waitFor(() => existsSync(marker) && readIfExists(path.join(dir, 'out/app.conf')) === 'port=1\n', 10_000, 'rendered, command started');
      writeFileSync(path.join(dir, 'dev.env'), 'OTHER=1\n');
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'the deleted key waited for');
      await sleep(2_500); // past --wait-timeout
      expect(kp.child.exitCode).toBe(null);
      expect(kp.out.stderr).not.toContain('gave up');
      expect(readIfExists(path.join(dir, 'out/app.conf'))).toBe('port=1\n');
      writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=2\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/app.conf')) === 'port=2\n', 10_000, 'the key back');
    });
    expect(result.out.stderr).toMatch(/\/app\/port arrived/);
  });

  it('a wait a confdir edit ends is not given up on when the timer runs out', async () => {
    const dir = appConfdir({ env: 'OTHER=1\n' });
    const result = await whileRunning(['--watch', ...appFlags(dir), '--wait-timeout', '2s'], {}, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
      writeFileSync(path.join(dir, 'templates/app.tmpl'), 'port={{getv "/app/port" "80"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/app.conf')) === 'port=80\n', 10_000, 'the default rendered');
      await sleep(2_500);
      expect(kp.child.exitCode).toBe(null);
    });
    expect(result.out.stderr).not.toContain('gave up');
  });

  it('a resource removed while it waits is not given up on either', async () => {
    const dir = appConfdir({ env: 'OTHER=1\n' });
    writeFileSync(path.join(dir, 'conf.d/other.toml'), '[template]\nsrc = "other.tmpl"\ndest = "out/other"\nkeys = ["/other"]\n');
    writeFileSync(path.join(dir, 'templates/other.tmpl'), 'o={{getv "/other"}}\n');
    const result = await whileRunning(['--watch', ...appFlags(dir), '--wait-timeout', '2s'], {}, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
      rmSync(path.join(dir, 'conf.d/app.toml'));
      await waitFor(() => kp.out.stderr.includes('confdir reloaded'), 10_000, 'the confdir read again');
      await sleep(2_500);
      expect(kp.child.exitCode).toBe(null);
    });
    expect(result.out.stderr).not.toContain('gave up');
  });

  it('a start still bounded: a key missing from the start ends the run with exit 3 and the list', async () => {
    const dir = appConfdir({ env: 'OTHER=1\n' });
    const result = await whileRunning(['--watch', ...appFlags(dir), '--wait-timeout', '1s'], {}, async (kp) => {
      await waitFor(() => kp.child.exitCode !== null, 10_000, 'the run to give up');
    });
    expect(result.code).toBe(3);
    expect(result.out.stderr).toMatch(/gave up waiting for keys after 1s:\napp\.toml: missing \/app\/port/);
  });
});

describe('--wait-timeout across confdir edits during the start', () => {
  it('an edit that still leaves the resource waiting does not restart its clock', async () => {
    const dir = appConfdir({ env: 'OTHER=1\n' });
    const started = Date.now();
    const result = await whileRunning(['--watch', ...appFlags(dir), '--wait-timeout', '3s'], {}, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
      await sleep(2_000);
      writeFileSync(path.join(dir, 'templates/app.tmpl'), 'port={{getv "/app/other"}}\n');
      await waitFor(() => kp.child.exitCode !== null, 10_000, 'the run to give up');
    });
    expect(result.code).toBe(3);
    expect(result.out.stderr).toMatch(/gave up waiting for keys after 3s:\napp\.toml: missing \/app\/other/);
    expect(Date.now() - started).toBeLessThan(4_600); // 3 s from the first wait, not from the edit (5 s or more)
  });
});
