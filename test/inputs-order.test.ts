// Lists come in the order the stores keep keys: by UTF-8 bytes, as etcd and Go sort them. JavaScript's default
// comparison orders UTF-16 code units and puts a character above U+FFFF before one in U+E000–U+FFFF.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useEtcd } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, runCli } from './util.js';

afterEach(cleanupTemps);

// In UTF-8 byte order: a (61) < z (7A) < U+E000 (EE 80 80) < Ａ U+FF21 (EF BC A1) < 😀 U+1F600 (F0 9F 98 80).
const names = ['a', 'z', '\ue000', 'Ａ', '😀'];
const utf16Order = [...names].sort();

describe('ordering by UTF-8 bytes', () => {
  const ctx = useEtcd();

  it('gets, getvs, ls and lsdir order as etcd does, where JavaScript would not', async () => {
    expect(utf16Order).not.toEqual(names); // the case this test is about
    await ctx.client.delete().all();
    // Written in reverse so that insertion order cannot pass for sorting.
    for (const n of [...names].reverse()) {
      await ctx.client.put(`/list/${n}`).value(`v${n}`);
      await ctx.client.put(`/dirs/${n}/x`).value('1');
    }
    const etcdOrder = (await ctx.client.getAll().prefix('/list/').keys()).map((k) => k.slice('/list/'.length));
    expect(etcdOrder).toEqual(names);

    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/list", "/dirs"]\n',
      'templates/app.tmpl': [
        'gets:{{#each (gets "/list/*")}} {{base key}}{{/each}}',
        'getvs:{{#each (getvs "/list/*")}} {{this}}{{/each}}',
        'ls:{{#each (ls "/list")}} {{this}}{{/each}}',
        'lsdir:{{#each (lsdir "/dirs")}} {{this}}{{/each}}',
        '',
      ].join('\n'),
    });
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { env: baseEnv(), cwd: dir });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    const inOrder = names.join(' ');
    expect(readFileSync(path.join(dir, 'out', 'app.conf'), 'utf8')).toBe(
      `gets: ${inOrder}\ngetvs: ${names.map((n) => `v${n}`).join(' ')}\nls: ${inOrder}\nlsdir: ${inOrder}\n`,
    );
  });
});
