// Backend values used as key names or glob patterns never reach the logs, `keyplate check`, /readyz or the status
// page (issue 13 item 5): a key the template computed is shown by its template position instead.
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, runCli, whileRunning, waitFor } from './util.js';

afterEach(cleanupTemps);

const secret = 'tenant-7f3a9c';

function computedConfdir(): string {
  return makeConfdir({
    'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app", "/hosts"]\n',
    'templates/app.tmpl':
      'port={{getv "/app/port"}}\nhost={{getv (printf "/hosts/%s" (getv "/app/tenant"))}}\n{{#each (gets (printf "/hosts/%s/*" (getv "/app/tenant")))}}{{value}}{{/each}}\n',
  });
}

const env = baseEnv({ APP_TENANT: secret });

describe('keys built from values', () => {
  it('--onetime and check name a missing computed key by its template position, never by its name', async () => {
    const dir = computedConfdir();
    const run = await runCli(['--onetime', '--confdir', dir], { env });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/app\.toml: missing app\.tmpl:2:6 \(a key the template computed from values; not shown\)/);
    // A literal key is still named, with its hint.
    expect(run.stderr).toMatch(/missing \/app\/port \(set APP_PORT\)/);
    const check = await runCli(['check', '--confdir', dir], { env });
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(/uses .*\/app\/port.*app\.tmpl:3:/);
    for (const text of [run.stdout, run.stderr, check.stdout, check.stderr]) expect(text).not.toContain(secret);
  });

  it('/readyz, the status page and debug logs of a watch show the position, not the key', async () => {
    const dir = computedConfdir();
    const args = ['--watch', '--confdir', dir, '--metrics-addr', '127.0.0.1:0', '--log-level', 'debug', '--log-format', 'json'];
    const { out } = await whileRunning(args, { env: baseEnv({ APP_TENANT: secret, APP_PORT: '80' }) }, async (kp) => {
      await waitFor(() => /operations server listening on (http:\/\/[^\s"]+)/.test(kp.out.stderr), 10_000, 'server line');
      const url = /operations server listening on (http:\/\/[^\s"]+)/.exec(kp.out.stderr)![1].replace(/\/$/, '');
      await waitFor(() => kp.out.stderr.includes('waiting for'), 10_000, 'waiting');
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const body = JSON.stringify(await ready.json());
      expect(body).toContain('app.tmpl:2:6');
      expect(body).not.toContain(secret);
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toContain('app.tmpl:2:6');
      expect(page).not.toContain(secret);
    });
    expect(out.stderr).toContain('app.tmpl:2:6');
    expect(out.stderr).not.toContain(secret);
  });

  // Go templates alike, and a key built from a helper form of the value: its base64, which the env backend spells
  // lower-cased (`/x/u3vwzxj…`), is hidden in either case.
  it.each([
    ['a Go template', '{{- $n := getv "/sec/name" -}}\n{{ getv (printf "/x/%s" $n) }}\n', 'supersecret', 2, (v: string) => [v]],
    ['a base64 form of the value', '{{getv (printf "/x/%s" (base64Encode (getv "/sec/name")))}}\n', 'supersecretval42', 1, (v: string) => {
      const encoded = Buffer.from(v).toString('base64');
      return [encoded, encoded.toLowerCase(), encoded.toUpperCase()];
    }],
  ])('%s: the missing key is named by its position, never by the value', async (_name, template, value, line, forms) => {
    const dir = makeConfdir({
      'conf.d/b.toml': '[template]\nsrc = "b.tmpl"\ndest = "out/b"\nkeys = ["/sec", "/x"]\nengine = "go"\n',
      'templates/b.tmpl': template,
    });
    const run = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ SEC_NAME: value }) });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`b\\.toml: missing b\\.tmpl:${line}:\\d+ \\(a key the template computed from values; not shown\\)`));
    for (const form of forms(value)) expect(run.stderr).not.toContain(form);
  });
});
