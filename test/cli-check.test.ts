// `keyplate check`: validates a confdir without touching any destination.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, runCli } from './util.js';

afterEach(cleanupTemps);

const good = {
  'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/db"]\ncheck_cmd = "touch checked"\n',
  'templates/app.tmpl': '{{getv "/db/host"}}:{{getv "/db/port"}}{{#each (gets "/db/replica/*")}} {{value}}{{/each}}\n',
};

describe('keyplate check', () => {
  it('keys missing: exit 3, lists the keys each resource uses and which are missing, writes nothing', async () => {
    const dir = makeConfdir(good);
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h' }), cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/app\.toml → .*out\/app\.conf: uses \/db\/host, \/db\/port, \/db\/replica\/\*; missing: \/db\/port \(set DB_PORT\)/);
    expect(r.stdout).not.toMatch(/ok: /);
    expect(r.stderr).toMatch(/keys are missing, so these resources would wait:\napp\.toml: missing \/db\/port \(set DB_PORT\)/);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(existsSync(path.join(dir, 'checked'))).toBe(false);
  });

  it('a good confdir with every key: exit 0, ok, writes nothing', async () => {
    const dir = makeConfdir(good);
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h', DB_PORT: '1' }), cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/app\.toml → .*out\/app\.conf: uses \/db\/host, \/db\/port, \/db\/replica\/\*\n/);
    expect(r.stdout).toMatch(/ok: 1 resource\n/);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(existsSync(path.join(dir, 'checked'))).toBe(false);
  });

  it.each([
    ['a template syntax error', { 'templates/app.tmpl': '{{#each x}}\n' }, /app\.tmpl:1:1: template syntax error: `\{\{#each\}\}` opened at line 1 is never closed/],
    ['an unknown helper', { 'templates/app.tmpl': '{{nope "/x"}}\n' }, /app\.tmpl:1:1: unknown helper `nope`/],
    ['an unknown field', { 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nbogus = 1\n' }, /app\.toml:4: unknown field `bogus`/],
    // Handlebars' own helpers with other argument counts failed at render with its internals' words.
    ['lookup with 3 arguments', { 'templates/app.tmpl': '{{lookup (split "a,b" ",") 1 "x"}}\n' }, /app\.tmpl:1:1: `lookup` takes 2 arguments, got 3: \{\{lookup object "field"\}\}/],
    ['#each with 2 arguments', { 'templates/app.tmpl': '{{#each (split "a,b" ",") 1}}{{this}}{{/each}}\n' }, /app\.tmpl:1:1: `#each` takes one argument, got 2/],
    ['Handlebars internals', { 'templates/app.tmpl': '{{helperMissing "x"}}\n' }, /app\.tmpl:1:1: unknown helper `helperMissing`/],
    // Names JavaScript objects all have: a stack trace from the engine choice before (a fuzz find).
    ['a JavaScript built-in name', { 'templates/app.tmpl': 'x {{getv "/db/host"}} {{valueOf}}\n' }, /app\.tmpl:1:\d+: unknown name `valueOf`/],
  ])('%s: exit 2 with the location', async (_name, extra, message) => {
    const dir = makeConfdir({ ...good, ...extra });
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h', DB_PORT: '1' }) });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('a missing dest directory: exit 1 naming it, as the run exits 1 for it', async () => {
    const dir = makeConfdir({ ...good, 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "nodir/app.conf"\nkeys = ["/db"]\n' });
    const env = baseEnv({ DB_HOST: 'h', DB_PORT: '1' });
    const check = await runCli(['check', '--confdir', dir], { env });
    expect(check.stderr).toMatch(/would fail to write:\n.*app\.toml: dest directory .*nodir does not exist/);
    expect(check.code).toBe(1);
    const run = await runCli(['--onetime', '--confdir', dir], { env });
    expect(run.code).toBe(check.code);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it.each([
    ['etcd', 'http://127.0.0.1:1', /cannot read backend etcd \(http:\/\/127\.0\.0\.1:1\), so no key was checked: \[etcd\] .*ECONNREFUSED/],
    ['consul', '127.0.0.1:1', /cannot read backend consul \(127\.0\.0\.1:1\), so no key was checked: \[consul\] .*ECONNREFUSED/],
  ])('a %s backend that cannot be reached: exit 1, naming it, without waiting', async (backend, node, message) => {
    const dir = makeConfdir(good);
    const started = Date.now();
    const r = await runCli(['check', '--backend', backend, '--node', node, '--confdir', dir], { env: baseEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toMatch(/app\.toml → .*out\/app\.conf\n/);
    expect(r.stdout).not.toMatch(/ok: /);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a template that fails to render: exit 1, as the run would', async () => {
    // keyplate's Handlebars div (Go's would read the same text differently, so the resource says which).
    const dir = makeConfdir({ 'conf.d/app.toml': `${good['conf.d/app.toml']}engine = "handlebars"\n`, 'templates/app.tmpl': '{{div 1 (atoi (getv "/db/port"))}}\n' });
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h', DB_PORT: '0' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/app\.tmpl: div: division by zero/);
    // It read /db/port before failing: check never claims it reads nothing.
    expect(r.stdout).toMatch(/app\.toml → .*: fails to render \(the error is logged\), so the keys it reads are not known/);
    const run = await runCli(['--onetime', '--noop', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h', DB_PORT: '0' }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/app\.tmpl: div: division by zero/);
  });
});
