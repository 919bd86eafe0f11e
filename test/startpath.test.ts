// The start path stays cold: no loop or small function of ours gets hot enough for V8 to optimize it with
// TurboFan during `keyplate --onetime`. Such a compile runs on a background thread and cost 3–8 ms and 4 MB
// of memory each time it happened (found with --trace-opt); this checks the same trace, not a timing.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, root, tempDir } from './util.js';

afterEach(cleanupTemps);

/** 100 resources like bench/startup.ts's, under a long directory name (longer strings make loops hotter). */
function hundredResources(templatePerResource: boolean): { dir: string; env: Record<string, string> } {
  const dir = path.join(tempDir(), 'a-confdir-with-a-rather-long-name-like-mkdtemp-makes');
  mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  const template = '# generated\nk0={{getv "/k0"}}\nk1={{getv "/k1"}}\nk2={{getv "/k2"}}\n{{#each (gets "/list/*")}}{{base key}}={{value}}\n{{/each}}\n';
  if (!templatePerResource) writeFileSync(path.join(dir, 'templates', 'r.tmpl'), template);
  const env: Record<string, string> = {};
  for (let i = 0; i < 100; i++) {
    const src = templatePerResource ? `r${i}.tmpl` : 'r.tmpl';
    if (templatePerResource) writeFileSync(path.join(dir, 'templates', src), `# resource ${i}\n${template}`);
    writeFileSync(path.join(dir, 'conf.d', `r${i}.toml`), `[template]\nsrc = "${src}"\ndest = "out/r${i}.conf"\nprefix = "/app/r${i}"\nkeys = ["/"]\nmode = "0644"\n`);
    for (let k = 0; k < 3; k++) env[`APP_R${i}_K${k}`] = `value-${i}-${k}`;
  }
  // A Kubernetes pod's environment: a few variables for every service in the namespace.
  for (let i = 0; i < 1500; i++) env[`SVC${i}_SERVICE_HOST`] = `10.0.${i >> 8}.${i & 255}`;
  return { dir, env };
}

describe('the start path', () => {
  it.each([
    ['one shared template', false],
    ['a template each', true],
  ])('makes V8 optimize none of our functions, for 100 resources (%s) and 1,500 variables', (_, templatePerResource) => {
    // A copy of dist: V8 would not accept a code cache made under other flags, and would rewrite the real one.
    const dist = path.join(tempDir(), 'dist');
    cpSync(path.join(root, 'dist'), dist, { recursive: true });
    const { dir, env } = hundredResources(templatePerResource);
    const cache = tempDir();
    const run = () =>
      spawnSync(process.execPath, ['--trace-opt', path.join(dist, 'keyplate.cjs'), '--onetime', '--confdir', dir], {
        env: { ...baseEnv(env), KEYPLATE_CACHE_DIR: cache },
        encoding: 'utf8',
      });
    // The first start writes the files and fills the caches; the second is the one measured by bench/startup.ts.
    expect(run().status).toBe(0);
    const steady = run();
    expect(steady.status).toBe(0);
    const marked = steady.stdout.split('\n').filter((line) => line.includes('for optimization'));
    expect(marked).toEqual([]);
  });
});
