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
  it('a good confdir: exit 0, lists the keys each resource uses and which are missing, writes nothing', async () => {
    const dir = makeConfdir(good);
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h' }), cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/app\.toml → .*out\/app\.conf: uses \/db\/host, \/db\/port, \/db\/replica\/\*; missing: \/db\/port \(set DB_PORT\)/);
    expect(r.stdout).toMatch(/ok: 1 resource/);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(existsSync(path.join(dir, 'checked'))).toBe(false);
  });

  it.each([
    ['a template syntax error', { 'templates/app.tmpl': '{{#each x}}\n' }, /app\.tmpl:1:1: template syntax error: `\{\{#each\}\}` opened at line 1 is never closed/],
    ['an unknown helper', { 'templates/app.tmpl': '{{nope "/x"}}\n' }, /app\.tmpl:1:1: unknown helper `nope`/],
    ['a missing dest directory', { 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "nodir/app.conf"\nkeys = ["/db"]\n' }, /dest directory .*nodir does not exist/],
    ['an unknown field', { 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nbogus = 1\n' }, /app\.toml:4: unknown field `bogus`/],
  ])('%s: exit 2 with the location', async (_name, extra, message) => {
    const dir = makeConfdir({ ...good, ...extra });
    const r = await runCli(['check', '--confdir', dir], { env: baseEnv({ DB_HOST: 'h', DB_PORT: '1' }) });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });
});
