// Reads a template cannot get are mistakes, never empty output: a key, pattern or directory outside the resource's
// keys is rejected at load when written as a literal and fails the render when computed (one message, never
// "missing … (set VAR)" beside it); a name that cannot exist where it is read is reported at load.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useEtcd } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, readIfExists, runCli } from './util.js';

afterEach(cleanupTemps);

const env = baseEnv({ APP_PORT: '80', APP_NAME: 'web', OTHER_X: 'secret-other', UP_A: '10.0.0.1', J_J: '{"port": 8080}', APP_J: '{"port": 8080}' });

function confdir(template: string, keys = '["/app"]', prefix = ''): string {
  return makeConfdir({
    // Handlebars templates, said so: some shapes here read the same in Go and would go to the Go engine by default.
    'conf.d/app.toml': `[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nengine = "handlebars"\n${prefix}keys = ${keys}\n`,
    'templates/app.tmpl': template,
  });
}

async function bothWays(dir: string): Promise<Array<{ code: number | null; stderr: string; stdout: string }>> {
  const run = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
  const check = await runCli(['check', '--confdir', dir], { env, cwd: dir });
  return [run, check];
}

describe('a literal read outside keys is rejected at load, by the run and by check', () => {
  it.each([
    ['getv', '{{getv "/other/x"}}', '1:1', '`getv` reads /other/x', '/other/x'],
    ['getv with a default', 'a\n  {{getv "/other/x" "fallback"}}', '2:3', '`getv` reads /other/x', '/other/x'],
    ['get', '{{#with (get "/other/x")}}{{value}}{{/with}}', '1:9', '`get` reads /other/x', '/other/x'],
    ['exists', '{{#if (exists "/other/x")}}y{{/if}}', '1:7', '`exists` reads /other/x', '/other/x'],
    ['gets', '{{#each (gets "/up/*")}}{{value}}{{/each}}', '1:9', '`gets` matches /up/*', '/up'],
    ['getvs', '{{#each (getvs "/up/*")}}{{this}}{{/each}}', '1:9', '`getvs` matches /up/*', '/up'],
    ['ls', '{{#each (ls "/up")}}{{this}}{{/each}}', '1:9', '`ls` lists /up', '/up'],
    ['lsdir', '{{#each (lsdir "/up")}}{{this}}{{/each}}', '1:9', '`lsdir` lists /up', '/up'],
  ])('%s: exit 2, template file:line:column, the key and what to add to keys; nothing written', async (_name, template, where, what, add) => {
    const dir = confdir(template);
    for (const r of await bothWays(dir)) {
      expect(r.stderr).toContain(`${path.join(dir, 'templates', 'app.tmpl')}:${where}: ${what}, outside the keys of app.toml (/app); add "${add}" to keys in app.toml`);
      expect(r.stderr).not.toMatch(/missing|set OTHER|\n\s+at /);
      expect(r.code).toBe(2);
    }
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('keys and the suggestion are written relative to the resource prefix, as keys are', async () => {
    const dir = confdir('{{getv "/db/host"}}', '["/app"]', 'prefix = "/svc"\n');
    const [run] = await bothWays(dir);
    expect(run.stderr).toContain('`getv` reads /svc/db/host, outside the keys of app.toml (/svc/app); add "/db/host" to keys in app.toml');
    expect(run.code).toBe(2);
  });

  it('a pattern or directory that overlaps the keys is allowed (it can match keys under them)', async () => {
    const dir = confdir('{{#each (gets "/*/port")}}{{key}}={{value}}{{/each}} {{#each (ls "/")}}{{this}}{{/each}}');
    const [run, check] = await bothWays(dir);
    expect(run.stderr).not.toMatch(/ERROR|WARN/);
    expect(run.code).toBe(0);
    expect(readIfExists(path.join(dir, 'out', 'app.conf'))).toBe('/app/port=80 app');
    expect(check.code).toBe(0);
  });
});

describe('a computed read outside keys fails the render of that resource', () => {
  it('exit 1, the template position, the helper, no key value in the log, never "missing … (set …)"', async () => {
    const dir = confdir('{{getv (printf "/%s/x" "other") "d"}}');
    const [run, check] = await bothWays(dir);
    for (const r of [run, check]) {
      expect(r.stderr).toContain('app.tmpl:1:1: `getv` reads a key the template computed, outside the keys of app.toml (/app)');
      expect(r.stderr).not.toMatch(/missing|set OTHER|secret-other|\n\s+at /);
    }
    // README "Exit codes": a resource that fails to render is 1, for the run and for check alike.
    expect(run.code).toBe(1);
    expect(check.code).toBe(1);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('a computed read inside keys that finds nothing is still a missing key, as before', async () => {
    const dir = confdir('{{getv (printf "/app/%s" "nope")}}');
    const [run] = await bothWays(dir);
    expect(run.stderr).toMatch(/missing \/app\/nope \(set APP_NOPE\)/);
    expect(run.stderr).not.toMatch(/outside/);
    // README "Exit codes": with the env backend and --onetime, a missing key cannot arrive: 3.
    expect(run.code).toBe(3);
  });
});

describe('names that cannot exist where they are read are reported at load', () => {
  it.each([
    ['a misspelt field in a block', '{{#each (gets "/app/*")}}{{vaule}}{{/each}}', '1:26', /unknown name `vaule`: each item here is a key\/value pair with `key` and `value`/],
    ['a field at the top of the template', 'port={{port}}', '1:6', /unknown name `port`: the top of a template has no fields/],
    ['a field of a string item', '{{#each (getvs "/app/*")}}{{value}}{{/each}}', '1:27', /unknown name `value`: each item here is a string or a number: write `\{\{this\}\}`/],
    ['a misspelt field as a helper argument', '{{#each (gets "/app/*")}}{{toUpper vaule}}{{/each}}', '1:36', /unknown name `vaule`/],
    ['a misspelt block parameter field', '{{#each (gets "/app/*") as |kv|}}{{kv.vaule}}{{/each}}', '1:34', /unknown name `kv\.vaule`/],
    ['an unknown data variable', '{{#each (gets "/app/*")}}{{@idx}}{{/each}}', '1:26', /unknown data variable `@idx`/],
    ['a section over a missing field', '{{#upstreams}}x{{/upstreams}}', '1:4', /unknown name `upstreams`/],
  ])('%s: exit 2 with file:line:column', async (_name, template, where, message) => {
    const dir = confdir(template);
    for (const r of await bothWays(dir)) {
      expect(r.stderr).toContain(`${path.join(dir, 'templates', 'app.tmpl')}:${where}: `);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    }
  });

  it('key, value, Key, Value, this, @index, @key, @first, @last, @root, ../, block parameters and json fields stay valid', async () => {
    const template = [
      '{{#each (gets "/app/*")}}{{key}}={{value}} {{Key}}={{Value}} {{@index}}{{@first}}{{@last}} {{this.key}} {{../x}}{{@root.y}}',
      '{{/each}}{{#each (gets "/app/*") as |kv i|}}{{kv.key}}{{i}}{{/each}}',
      '{{#each (getvs "/app/*")}}[{{this}}]{{/each}}{{#each (json (getv "/app/j"))}}{{@key}}{{/each}}',
      '{{#with (json (getv "/app/j"))}}port {{port}}{{/with}}',
    ].join('');
    const dir = confdir(template);
    const [run, check] = await bothWays(dir);
    expect(run.stderr).not.toMatch(/ERROR|WARN/);
    expect(run.code).toBe(0);
    expect(readIfExists(path.join(dir, 'out', 'app.conf'))).toContain('port 8080');
    expect(check.code).toBe(0);
  });
});

describe('with etcd', () => {
  const ctx = useEtcd();

  it('gets outside keys is rejected at load, not rendered as an empty list', async () => {
    await ctx.client.put('/upstream/a').value('10.0.0.1');
    await ctx.client.put('/app/port').value('80');
    const dir = confdir('port={{getv "/app/port"}}\n{{#each (gets "/upstream/*")}}server {{value}};\n{{/each}}');
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { env: baseEnv(), cwd: dir });
    expect(r.stderr).toContain('app.tmpl:2:9: `gets` matches /upstream/*, outside the keys of app.toml (/app); add "/upstream" to keys in app.toml');
    expect(r.code).toBe(2);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });
});
