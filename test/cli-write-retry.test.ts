// Watch mode tries a failed write again on its own (src/runner/write-retry.ts): the user who follows "create it"
// sees the file appear without changing a key; a render error is not retried (the same values fail the same way).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

describe('a failed write in watch mode', () => {
  it('is tried again until it succeeds: the missing destination directory, created, gets the file', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "later/app.conf"\nkeys = ["/app"]\n',
      'templates/app.tmpl': 'port={{getv "/app/port"}}\n',
    });
    const dest = path.join(dir, 'later/app.conf');
    const { out } = await whileRunning(['--watch', '--confdir', dir], { env: baseEnv({ APP_PORT: '8080' }) }, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('does not exist; create it'), 10_000, 'the missing directory named');
      await waitFor(() => /app\.toml: trying the write again in 1s, then less often \(at most every 30s\) until it succeeds/.test(kp.out.stderr), 5_000, 'the retry said');
      // Tries at 1 s and 3 s fail the same way: the error line is not printed again.
      await new Promise((r) => setTimeout(r, 3_500));
      expect(kp.out.stderr.match(/does not exist; create it/g)).toHaveLength(1);
      mkdirSync(path.join(dir, 'later'));
      await waitFor(() => existsSync(dest), 10_000, 'the file, once its directory exists');
      expect(readFileSync(dest, 'utf8')).toBe('port=8080\n');
      await waitFor(() => kp.out.stderr.includes('updated'), 5_000, 'the update logged');
    });
    expect(out.stderr).toMatch(/app\.toml: updated .*later\/app\.conf \(created\)/);
    // Said once for the streak, not at every try.
    expect(out.stderr.match(/trying the write again/g)).toHaveLength(1);
  });

  it('a render error is not retried: it is logged once, until a change or an edit', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\nengine = "go"\n',
      'templates/app.tmpl': '{{atoi (getv "/app/port")}}\n',
    });
    const { out } = await whileRunning(['--watch', '--confdir', dir], { env: baseEnv({ APP_PORT: 'eighty' }) }, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('render failed'), 10_000, 'the render error');
      await new Promise((r) => setTimeout(r, 2_500));
    });
    expect(out.stderr.match(/render failed/g)).toHaveLength(1);
    expect(out.stderr).not.toContain('trying the write again');
  });
});
