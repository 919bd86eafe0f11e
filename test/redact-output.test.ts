// Secrets that change shape: check_cmd and reload_cmd output hides backend values as the template rendered
// them (decoded, a JSON field, upper-cased), and output cut at 16 KiB never shows part of one.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, cleanupTemps, runCli } from './util.js';

afterEach(cleanupTemps);

const password = 'hunter2-Very-Secret-XYZW';
const creds = JSON.stringify({ user: 'admin', password: 'json-field-Secret-QRST' });
const env = [
  `APP_B64=${Buffer.from('decoded-Secret-LMNO').toString('base64')}`,
  `APP_CREDS=${creds}`,
  `APP_WORD=lower-secret-abcd`,
  `APP_PASSWORD=${password}`,
  `APP_PAIR=svc:pair-Secret-EFGH`,
].join('\n');

const template = [
  'b64={{base64Decode (getv "/app/b64")}}',
  '{{#with (json (getv "/app/creds"))}}json={{password}}{{/with}}',
  'upper={{toUpper (getv "/app/word")}}',
  'pair={{#each (split (getv "/app/pair") ":")}}{{this}} {{/each}}',
  '{{#with (json (getv "/app/creds"))}}auth={{base64Encode password}}{{/with}}',
  'part64={{#each (split (getv "/app/pair") ":")}}{{base64Encode this}} {{/each}}',
  '',
].join('\n');

describe('command output hides values in the shapes the template gave them', () => {
  it('base64Decode, a json field, toUpper and split parts never reach the log of a failing check_cmd', async () => {
    const dir = appConfdir({ template, env: env + '\n', toml: 'check_cmd = "cat {{src}}; exit 1"\n' });
    const r = await runCli(['--onetime', ...appFlags(dir)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('check_cmd exited with code 1');
    const encoded = (text: string) => Buffer.from(text).toString('base64');
    for (const secret of ['decoded-Secret-LMNO', 'json-field-Secret-QRST', 'LOWER-SECRET-ABCD', 'pair-Secret-EFGH', encoded('json-field-Secret-QRST'), encoded('pair-Secret-EFGH')]) {
      expect(r.stderr).not.toContain(secret);
    }
    expect(r.stderr).toContain('b64=[value of /app/b64]');
    expect(r.stderr).toContain('json=[value of /app/creds]');
    expect(r.stderr).toContain('upper=[value of /app/word]');
    expect(r.stderr).toContain('pair=svc [value of /app/pair]');
    expect(r.stderr).toContain('auth=[value of /app/creds]');
    expect(r.stderr).toContain(`part64=${Buffer.from('svc').toString('base64')} [value of /app/pair]`);
  });

  it("a JSON number as the Go engine prints it (float64: 9.8765432e+07) is hidden too", async () => {
    const dir = appConfdir({
      template: '{{index (json (getv "/app/creds")) "pin"}} {{json (getv "/app/creds")}}\n',
      env: 'APP_CREDS={"pin":98765432,"tiny":0.00001234}\n',
      toml: 'engine = "go"\ncheck_cmd = "cat {{src}}; exit 1"\n',
    });
    const r = await runCli(['--onetime', ...appFlags(dir)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[value of /app/creds] map[pin:[value of /app/creds] tiny:[value of /app/creds]]');
    expect(r.stderr).not.toMatch(/9\.8765432|98765432|1\.234e-05/);
  });

  it('reload_cmd output too', async () => {
    const dir = appConfdir({ template, env: env + '\n', toml: `reload_cmd = "cat ${'out/app.conf'}; exit 1"\n` });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reload_cmd exited with code 1');
    for (const secret of ['decoded-Secret-LMNO', 'json-field-Secret-QRST', 'LOWER-SECRET-ABCD']) expect(r.stderr).not.toContain(secret);
    expect(r.stderr).toContain('b64=[value of /app/b64]');
  });
});

describe('output cut at 16 KiB', () => {
  // The value first, then filler: the last 16,384 characters begin `tail` characters before the value's end.
  it.each([1, 5, 10, 23])('a cut %i characters before the end of a value shows none of it', async (tail) => {
    const filler = 16 * 1024 - tail - 1; // 1 for the newline after the value
    const dir = appConfdir({ template: '{{getv "/app/password"}}\n', env: `APP_PASSWORD=${password}\n`, toml: `check_cmd = "cat {{src}}; head -c ${filler} /dev/zero | tr '\\\\0' y; exit 1"\n` });
    const r = await runCli(['--onetime', ...appFlags(dir)]);
    expect(r.code).toBe(1);
    // Nothing between the mark and the newline that ended the value: its tail was removed.
    expect(r.stderr).toContain('[earlier output cut; the last 16 KiB follow]\n\nyyy');
    if (tail >= 5) expect(r.stderr).not.toContain(password.slice(-tail));
  });

  it('a value wholly inside the kept output is hidden whole; output under 16 KiB is not marked as cut', async () => {
    const dir = appConfdir({ template: '{{getv "/app/password"}}\n', env: `APP_PASSWORD=${password}\n`, toml: 'check_cmd = "cat {{src}}; exit 1"\n' });
    const r = await runCli(['--onetime', ...appFlags(dir)]);
    expect(r.stderr).toContain('check_cmd exited with code 1; ' + path.join(dir, 'out/app.conf') + ' was left as it was\n[value of /app/password]');
    expect(r.stderr).not.toContain('earlier output cut');
  });
});
