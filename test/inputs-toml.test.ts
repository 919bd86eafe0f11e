// Resource files that parse as TOML but say the wrong thing: every field is type-checked at load, by the run and by
// `keyplate check` alike (exit 2, file:line, what was expected, nothing written, never a stack trace).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, makeConfdir, runCli } from './util.js';

afterEach(cleanupTemps);

/** The resource's own lines are 1–4 (see appConfdir), so a field added by a case is on line 5 or later. */
const cases: Array<[string, string, RegExp]> = [
  ['wait without min', 'wait = { max = "1s" }', /app\.toml:5: wait: min is missing/],
  ['wait with an unknown field', 'wait = { min = "1s", often = "x" }', /app\.toml:5: wait: unknown field `often`/],
  ['wait as a [template.wait] table with a bad min', '[template.wait]\nmin = true', /app\.toml:6: wait\.min must be a duration .* got true \(boolean\)/],
  ['wait as a list', 'wait = ["1s"]', /app\.toml:5: wait must be a duration or a table .* got \["1s"\] \(array\)/],
  ['mode as a table', 'mode = {}', /app\.toml:5: mode must be an octal string such as "0644", got \{\} \(table\)/],
  ['mode as a fraction', 'mode = 6.44', /app\.toml:5: mode must be an octal string/],
  ['mode as a TOML octal integer (420, not 0644)', 'mode = 0o644', /app\.toml:5: mode: a TOML octal integer is a number \(420 here\), not the digits of a mode; write the mode as a string: mode = "0644"/],
  ['uid as a fraction', 'uid = 1.5', /app\.toml:5: uid must be an integer from 0 to 4294967294, got 1\.5 \(number\)/],
  ['uid as nan', 'uid = nan', /app\.toml:5: uid must be an integer from 0 to 4294967294, got nan \(number\)/],
  ['check_timeout as inf', 'check_timeout = inf', /app\.toml:5: check_timeout must be a duration .*got inf \(number\)/],
  ['uid too large', 'gid = 1e300', /app\.toml:5: gid must be an integer from 0 to 4294967294/],
  ['check_timeout as a boolean', 'check_timeout = true', /app\.toml:5: check_timeout must be a duration such as "30s".* got true \(boolean\)/],
  ['reload_timeout past what a timer can wait', 'reload_timeout = "1000h"', /app\.toml:5: reload_timeout must be a duration .*at most 24 days/],
  ['restart as a string', 'restart = "yes"', /app\.toml:5: restart must be true or false, got "yes" \(string\)/],
  ['owner as a date', 'owner = 1979-05-27', /app\.toml:5: owner must be a string, got .*TOML date/],
  ['a NUL in reload_cmd', 'reload_cmd = "touch reloaded\\u0000"', /app\.toml:5: reload_cmd holds the control character U\+0000 at position 15 of "touch reloaded\\u0000"/],
  ['an escape character in check_cmd', 'check_cmd = "true \\u001b[0m"', /app\.toml:5: check_cmd holds the control character U\+001B/],
  ['a line break in a key', 'prefix = "/a\\nb"', /app\.toml:5: prefix holds the control character U\+000A/],
  ['an unknown reload_signal', 'reload_signal = "SIGFOO"', /app\.toml:5: reload_signal: "SIGFOO" \(string\) is not a signal name on this system/],
  ['a placeholder commands do not know', 'reload_cmd = "echo {{.dest}}"', /app\.toml:5: reload_cmd: "\{\{\.dest\}\}" is not a placeholder keyplate knows; only \{\{src\}\}/],
  ['an unclosed placeholder', 'check_cmd = "nginx -t -c {{src}} {{ oops"', /app\.toml:5: check_cmd: "\{\{ oops" is not a placeholder/],
  ['an unknown field', 'relaod_cmd = "x"', /app\.toml:5: unknown field `relaod_cmd`/],
  ['an unknown quoted field with regex characters', '"a(b[*" = 1', /app\.toml:5: unknown field `a\(b\[\*`/],
  ['an unterminated string', 'reload_cmd = "touch x\ncheck_cmd = "y"', /app\.toml:5:\d+: invalid TOML: unterminated string: close the quote on the same line/],
  ['a raw control character in a string', 'reload_cmd = "a\u0001b"', /app\.toml:5:\d+: invalid TOML: control character U\+0001 inside a string/],
];

describe('resource fields are type-checked at load', () => {
  it.each(cases)('%s: exit 2 naming file:line and what was expected; nothing written', async (_name, toml, message) => {
    const dir = appConfdir({ toml });
    for (const args of [['--onetime', ...appFlags(dir)], ['check', ...appFlags(dir)]]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
      expect(r.code).toBe(2);
      expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
      expect(readdirSync(dir)).not.toContain('reloaded');
    }
  });
});

describe('keys', () => {
  it.each([
    ['keys = "/app"', /app\.toml:4: keys must be a list of strings such as \["\/database"\], got "\/app" \(string\)/],
    ['keys = ["/app", 5]', /app\.toml:4: keys must be a list of strings/],
    ['keys = ["/upstream/*"]', /app\.toml:4: keys: "\/upstream\/\*" is a pattern, but keys are prefixes: write "\/upstream"/],
  ])('%s: exit 2 naming the field', async (keys, message) => {
    const dir = makeConfdir({ 'conf.d/app.toml': `[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\n${keys}\n`, 'templates/app.tmpl': 'x\n' });
    for (const args of [['--onetime', '--confdir', dir], ['check', '--confdir', dir]]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    }
  });
});

describe('src that cannot be a template', () => {
  it.each([
    ['a name too long for the file system', `${'n'.repeat(300)}.tmpl`, /has a name too long for the file system \(ENAMETOOLONG\)/],
    ['a directory', 'sub', /is a directory, not a file/],
    ['a missing file', 'nope.tmpl', /does not exist/],
  ])('%s: exit 2 saying which', async (_name, src, message) => {
    const dir = makeConfdir({ 'conf.d/app.toml': `[template]\nsrc = "${src}"\ndest = "out/app.conf"\n`, 'templates/sub/x.tmpl': 'x' });
    const r = await runCli(['--onetime', '--confdir', dir], { cwd: dir });
    expect(r.stderr).toMatch(/app\.toml:2: src template /);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });
});

describe('commands and signals', () => {
  it('{{src}} and {{.src}} in reload_cmd are the destination, shell-quoted; check runs the same command', async () => {
    const dir = appConfdir({ toml: 'reload_cmd = "cp {{.src}} copied && echo {{ src }} > named"' });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).toMatch(/reloaded/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'copied'), 'utf8')).toBe('port=1\n');
    expect(readFileSync(path.join(dir, 'named'), 'utf8')).toBe(`${path.join(dir, 'out', 'app.conf')}\n`);
    const check = await runCli(['check', ...appFlags(dir)], { cwd: dir });
    expect(check.code).toBe(0);
  });

  it.each(['HUP', 'sigusr2', 'SIGWINCH'])('reload_signal %j is a signal name Node knows: accepted', async (signal) => {
    const dir = appConfdir({ toml: `reload_signal = "${signal}"` });
    const r = await runCli(['check', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('several broken resources', () => {
  it('are all reported at once, each with its own line', async () => {
    const dir = appConfdir({ toml: 'mode = {}' });
    const other = path.join(dir, 'conf.d', 'other.toml');
    writeFileSync(other, '[template]\n\nsrc = "app.tmpl"\ndest = "out/other"\nuid = "root"\n');
    const r = await runCli(['--onetime', ...appFlags(dir)], { env: baseEnv(), cwd: dir });
    expect(r.stderr).toMatch(/app\.toml:5: mode must be/);
    expect(r.stderr).toMatch(/other\.toml:5: uid must be an integer/);
    expect(r.code).toBe(2);
  });
});
