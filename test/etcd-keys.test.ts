// etcd keys as other programs write them: without a leading `/` (Stolon's `stolon/cluster/...`), with an empty
// segment or a trailing `/`. Each is read as its normalised keyplate key; two spellings of one key are named.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEtcdBackend } from '../backends/etcd.js';
import { mirrorOf, useEtcd, whileWatching } from './lifecycle.js';
import { baseEnv, makeConfdir, runCli, waitFor } from './util.js';

describe('etcd: keys in the shapes etcd allows', () => {
  const ctx = useEtcd();
  const backend = (warnings: string[] = []) => createEtcdBackend({ nodes: ctx.etcd.endpoints, envFiles: [], warn: (m) => warnings.push(m) });

  it('reads keys without a leading `/`, with an empty segment or a trailing `/`, as their normalised keys', async () => {
    await ctx.client.put('stolon/cluster/main/clusterdata').value('{"cluster":1}');
    await ctx.client.put('/shapes//double').value('d');
    await ctx.client.put('/shapes/trailing/').value('t');
    await ctx.client.put('shapes/bare').value('b');
    await ctx.client.put('stolonx/not-under').value('no');
    const warnings: string[] = [];
    const b = backend(warnings);
    try {
      expect(Object.fromEntries(await b.getValues(['/stolon/cluster', '/shapes']))).toEqual({
        '/stolon/cluster/main/clusterdata': '{"cluster":1}',
        '/shapes/double': 'd',
        '/shapes/trailing': 't',
        '/shapes/bare': 'b',
      });
      expect(Object.fromEntries(await b.getValues(['/']))).toMatchObject({ '/stolon/cluster/main/clusterdata': '{"cluster":1}', '/stolonx/not-under': 'no' });
      expect(warnings).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('two spellings of one key: the exact one wins, and a warning names both, once', async () => {
    await ctx.client.put('/dup/k').value('slashed');
    await ctx.client.put('dup/k').value('bare');
    await ctx.client.put('dup/only').value('bare only');
    await ctx.client.put('/dup//e').value('double slash, read first'); // sorts before /dup/e
    await ctx.client.put('/dup/e').value('exact');
    const warnings: string[] = [];
    const b = backend(warnings);
    try {
      for (let i = 0; i < 3; i++) {
        expect(Object.fromEntries(await b.getValues(['/dup']))).toEqual({ '/dup/k': 'slashed', '/dup/only': 'bare only', '/dup/e': 'exact' });
      }
      expect(warnings).toEqual([
        'etcd keys "/dup//e" and "/dup/e" are both read as /dup/e; using the value of "/dup/e". Delete the key you do not mean',
        'etcd keys "/dup/k" and "dup/k" are both read as /dup/k; using the value of "/dup/k". Delete the key you do not mean',
      ]);
    } finally {
      await b.close();
    }
  });

  it('watches both spellings: puts and deletes of `stolon/...` arrive as `/stolon/...`', async () => {
    await ctx.client.put('stolonw/cluster/a').value('1');
    const warnings: string[] = [];
    await whileWatching(backend(warnings), ['/stolonw/cluster', '/zz'], async ({ events }) => {
      await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
      expect(mirrorOf(events)).toEqual({ '/stolonw/cluster/a': '1' });
      await ctx.client.put('stolonw/cluster/b').value('2');
      await ctx.client.put('/zz/c/').value('3');
      await ctx.client.delete().key('stolonw/cluster/a');
      await waitFor(() => !('/stolonw/cluster/a' in mirrorOf(events)), 10_000, 'the delete');
      expect(mirrorOf(events)).toEqual({ '/stolonw/cluster/b': '2', '/zz/c': '3' });
      // A second spelling of a key the mirror has: no event for it, a warning naming both.
      await ctx.client.put('/stolonw/cluster/b').value('exact');
      await ctx.client.put('stolonw/cluster/b').value('bare again');
      await ctx.client.put('/zz/sentinel').value('s');
      await waitFor(() => mirrorOf(events)['/zz/sentinel'] === 's', 10_000, 'the sentinel');
      expect(mirrorOf(events)['/stolonw/cluster/b']).toBe('exact');
      expect(warnings).toEqual([
        'etcd keys "stolonw/cluster/b" and "/stolonw/cluster/b" are both read as /stolonw/cluster/b; using the value of "/stolonw/cluster/b". Delete the key you do not mean',
      ]);
      expect(events.some((e) => e.kind === 'status')).toBe(false);
    });
  });

  it('CLI: --onetime renders Stolon-shaped keys, and warns once on stderr about a key in two spellings', async () => {
    await ctx.client.put('stolon/cluster/pg/leader').value('db-1');
    await ctx.client.put('/stolon/cluster/pg/port').value('5432');
    await ctx.client.put('stolon/cluster/pg/port').value('5433');
    const dir = makeConfdir({
      'conf.d/pg.toml': '[template]\nsrc = "pg.tmpl"\ndest = "out/pg.conf"\nkeys = ["/stolon/cluster/pg"]\n',
      'templates/pg.tmpl': 'leader={{getv "/stolon/cluster/pg/leader"}} port={{getv "/stolon/cluster/pg/port"}}\n',
    });
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-timeout', '5s'], { env: baseEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/pg.conf'), 'utf8')).toBe('leader=db-1 port=5432\n');
    expect(r.stderr.match(/both read as \/stolon\/cluster\/pg\/port/g)).toHaveLength(1);
    expect(r.stderr).toContain('etcd keys "/stolon/cluster/pg/port" and "stolon/cluster/pg/port"');
    expect(r.stderr).not.toContain('5433');
  });
});
