// A template engine's error message may quote what it was given: Go's `strconv.Atoi: parsing "…"`, `range can't
// iterate over …`, a key computed from a value that does not exist. Those messages reach the log, `keyplate check`,
// /readyz and the status page; the values in them never do (README: "Values never appear in logs; keys do").
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, runCli, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

// A `"` in the value: Go's messages quote it escaped (`Hunt\"er…`), which must be hidden too.
const secret = 'Hunt"er2-s3cret!';

/** One resource per message that quotes a value, each failing to render with the value in its engine's words. */
function failingConfdir(): string {
  const resource = (name: string, engine: string) => `[template]\nsrc = "${name}.tmpl"\ndest = "out/${name}"\nkeys = ["/sec"]\nengine = "${engine}"\n`;
  return makeConfdir({
    'conf.d/atoi.toml': resource('atoi', 'go'),
    'templates/atoi.tmpl': '{{atoi (getv "/sec/pw")}}\n',
    'conf.d/bool.toml': resource('bool', 'go'),
    'templates/bool.tmpl': '{{parseBool (getv "/sec/pw")}}\n',
    'conf.d/range.toml': resource('range', 'go'),
    'templates/range.tmpl': '{{range (getv "/sec/pw")}}{{.}}{{end}}\n',
    'conf.d/computed.toml': resource('computed', 'go'),
    'templates/computed.tmpl': '{{getv (printf "sec/%s" (getv "/sec/pw"))}}\n',
    // atoi's number of a PIN with leading zeros, and Go's lower case of a non-ASCII value.
    'conf.d/index.toml': resource('index', 'go'),
    'templates/index.tmpl': '{{index (split "a,b" ",") (atoi (getv "/sec/pin"))}}\n',
    'conf.d/lower.toml': resource('lower', 'go'),
    'templates/lower.tmpl': '{{atoi (toLower (getv "/sec/word"))}}\n',
  });
}

const env = baseEnv({ SEC_PW: secret, SEC_PIN: '0054321', SEC_WORD: 'Straße-İstanbul-Geheim' });
const escaped = JSON.stringify(secret).slice(1, -1);

describe('values quoted by an engine error message', () => {
  it('--onetime and check say what failed, where, with the value replaced by its key', async () => {
    const dir = failingConfdir();
    const run = await runCli(['--onetime', '--confdir', dir], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/atoi\.toml: render failed: .*atoi\.tmpl:1:\d+.*strconv\.Atoi: parsing "\[value of \/sec\/pw\]": invalid syntax/);
    expect(run.stderr).toMatch(/bool\.toml: render failed: .*strconv\.ParseBool: parsing "\[value of \/sec\/pw\]"/);
    expect(run.stderr).toMatch(/range\.toml: render failed: .*range can't iterate over \[value of \/sec\/pw\]/);
    expect(run.stderr).toMatch(/computed\.toml: render failed: .*key does not exist: sec\/\[value of \/sec\/pw\]/);
    expect(run.stderr).toMatch(/index\.toml: render failed: .*index out of range: \[value of \/sec\/pin\]/);
    expect(run.stderr).toMatch(/lower\.toml: render failed: .*parsing "\[value of \/sec\/word\]"/);
    const check = await runCli(['check', '--confdir', dir], { env });
    expect(check.code).toBe(1);
    for (const text of [run.stdout, run.stderr, check.stdout, check.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(escaped);
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('54321');
      expect(text).not.toMatch(/geheim/i);
    }
  });

  it('/readyz, the status page and JSON logs of a watch show the key, not the value', async () => {
    const dir = failingConfdir();
    const args = ['--watch', '--confdir', dir, '--metrics-addr', '127.0.0.1:0', '--log-format', 'json'];
    const { out } = await whileRunning(args, { env }, async (kp) => {
      await waitFor(() => /operations server listening on (http:\/\/[^\s"]+)/.test(kp.out.stderr), 10_000, 'server line');
      const url = /operations server listening on (http:\/\/[^\s"]+)/.exec(kp.out.stderr)![1].replace(/\/$/, '');
      await waitFor(() => (kp.out.stderr.match(/render failed/g) ?? []).length >= 6, 10_000, 'six render failures');
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.text();
      expect(body).toContain('[value of /sec/pw]');
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toContain('[value of /sec/pw]');
      for (const text of [body, page]) {
        expect(text).not.toContain('s3cret');
        expect(text).not.toContain('54321');
        expect(text).not.toMatch(/geheim/i);
      }
    });
    expect(out.stderr).toContain('[value of /sec/pw]');
    expect(out.stderr).not.toContain('s3cret');
  });

  it("Handlebars' {{log}} prints to stderr with the values hidden", async () => {
    const dir = makeConfdir({
      'conf.d/log.toml': '[template]\nsrc = "log.tmpl"\ndest = "out/log"\nkeys = ["/sec"]\nengine = "handlebars"\n',
      'templates/log.tmpl': 'x={{log "pw is" (getv "/sec/pw") (toUpper (getv "/sec/word")) level="error"}}\n',
    });
    const run = await runCli(['--onetime', '--confdir', dir], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('keyplate template log: pw is [value of /sec/pw] [value of /sec/word]');
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr).not.toMatch(/geheim/i);
  });
});
