// Resource TOML → Resource: confd's fields with keyplate's decisions (octal modes, joined prefixes, strictness).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { parseResource, type Resource } from '../src/resources/resource.js';
import { cleanupTemps, tempDir } from './util.js';

let confdir: string;
beforeEach(() => {
  confdir = tempDir();
  mkdirSync(path.join(confdir, 'templates', 'sub'), { recursive: true });
  mkdirSync(path.join(confdir, 'conf.d'), { recursive: true });
  writeFileSync(path.join(confdir, 'templates', 'a.tmpl'), 'x');
  writeFileSync(path.join(confdir, 'templates', 'sub', 'b.tmpl'), 'x');
});
afterEach(cleanupTemps);

const parse = (body: string, prefix = '/'): Resource =>
  parseResource(path.join(confdir, 'conf.d', 'r.toml'), `[template]\nsrc = "a.tmpl"\ndest = "out/a"\n${body}`, { confdir, prefix });

describe('resource fields', () => {
  it.each([
    ['mode = "644"', 0o644],
    ['mode = "0644"', 0o644],
    ['mode = "0600"', 0o600],
    ['mode = 644', 0o644],
    ['mode = "4755"', 0o4755],
  ])('%s is octal: %o', (line, mode) => expect(parse(line).mode).toBe(mode));

  it.each([
    ['', '/', [], '/'],
    ['prefix = "/myapp"\nkeys = ["/database", "upstream/"]', '/', ['/myapp/database', '/myapp/upstream'], '/myapp'],
    ['prefix = "svc"\nkeys = ["/db"]', '/prod', ['/prod/svc/db'], '/prod/svc'],
    ['keys = ["/"]', '/prod/', ['/prod'], '/prod'],
  ])('prefixes join: %j under global %s', (body, global, keys, prefix) => {
    const r = parse(body, global);
    expect(r.keys).toEqual(keys);
    expect(r.prefix).toBe(prefix);
  });

  it('dest resolves against the confdir; src against templates/, subfolders allowed', () => {
    const r = parseResource(path.join(confdir, 'conf.d', 'x.toml'), '[template]\nsrc = "sub/b.tmpl"\ndest = "../out/b"\n', { confdir, prefix: '/' });
    expect(r.dest).toBe(path.resolve(confdir, '../out/b'));
    expect(r.src).toBe(path.join(confdir, 'templates', 'sub', 'b.tmpl'));
    expect(r.name).toBe('x.toml');
  });

  it.each(['out/a', './out/a', 'out//a', 'out/./a', 'out/../b', '../b', '/etc/x', '/etc//x', '/etc/../x'])(
    'dest %j is the same path as path.resolve(confdir, dest)',
    (dest) => {
      for (const dir of [confdir, `${confdir}/`, `${confdir}/conf.d/..`, path.relative(process.cwd(), confdir)]) {
        const r = parseResource(path.join(confdir, 'conf.d', 'x.toml'), `[template]\nsrc = "a.tmpl"\ndest = "${dest}"\n`, { confdir: dir, prefix: '/' });
        expect(r.dest).toBe(path.resolve(dir, dest));
      }
    },
  );

  it('uid/gid win over owner/group names; names resolve from /etc/passwd and /etc/group', () => {
    expect(parse('owner = "root"\ngroup = "root"')).toMatchObject({ uid: 0, gid: 0 });
    expect(parse('owner = "root"\nuid = 123\ngid = 456')).toMatchObject({ uid: 123, gid: 456 });
  });

  it('timeouts, wait, reload_signal and restart', () => {
    const r = parse('check_timeout = "2s"\nreload_timeout = 90\nwait = { min = "10ms", max = "2s" }\nreload_signal = "hup"\nrestart = true');
    expect(r).toMatchObject({ checkTimeoutMs: 2000, reloadTimeoutMs: 90_000, wait: { minMs: 10, maxMs: 2000 }, reloadSignal: 'SIGHUP', restart: true });
    expect(parse('wait = "100ms"').wait).toEqual({ minMs: 100, maxMs: 400 });
    expect(parse('')).toMatchObject({ checkTimeoutMs: 30_000, reloadTimeoutMs: 60_000, restart: false });
  });

  it.each([
    ['mode = "0999"', /mode must be an octal string/],
    ['mode = "rw-r--r--"', /mode must be an octal string/],
    ['uid = -1', /r\.toml:4: uid must be an integer from 0 to 4294967294/],
    ['check_timeout = "soon"', /check_timeout must be a duration/],
    ['wait = { min = "2s", max = "1s" }', /r\.toml:4: wait: min \("2s" \(string\)\) must not exceed max/],
    ['restart = "yes"', /restart must be true or false/],
    ['reload_signal = "SIG HUP"', /r\.toml:4: reload_signal: "SIG HUP" \(string\) is not a signal name/],
    ['keys = ["/a", 1]', /keys must be a list of strings/],
    ['src2 = "x"', /unknown field `src2` in \[template\]/],
  ])('%s is rejected', (body, message) => {
    expect(() => parse(body)).toThrow(ConfigError);
    expect(() => parse(body)).toThrow(message);
  });

  it('a file without [template], or with another table, is rejected', () => {
    const file = path.join(confdir, 'conf.d', 'r.toml');
    expect(() => parseResource(file, 'src = "a"\n', { confdir, prefix: '/' })).toThrow(/unknown table or key `src`/);
    expect(() => parseResource(file, '[other]\nx = 1\n', { confdir, prefix: '/' })).toThrow(/unknown table or key `other`/);
    expect(() => parseResource(file, '', { confdir, prefix: '/' })).toThrow(/missing \[template\] table/);
  });
});
