// `node dist/keyplate.cjs` and the executable (Bun) sharing one cache directory: each keeps its own code cache of
// the precompiled templates, so alternating runs hit both instead of evicting each other (before, the single
// `.v8` companion was rejected by the other engine and rewritten at every exit).
// A companion is rewritten exactly when its engine had none or rejected it (src/template/precompiled-cache.ts), so
// an unchanged file after a run is a hit; the last test shows a rejected one is rewritten, by either engine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cliPath, exePath, tempDir } from './util.js';

const runtimes = { node: [process.execPath, cliPath], exe: [exePath] } as const;

function setup() {
  const cacheDir = path.join(tempDir('keyplate-cache-engines-'), 'cache');
  mkdirSync(cacheDir, { mode: 0o700 });
  const dir = appConfdir({ template: '{{#each (gets "/app/*")}}{{base key}}={{value}}\n{{/each}}' });
  const run = (runtime: keyof typeof runtimes): void => {
    const [command, ...args] = runtimes[runtime];
    const r = spawnSync(command, [...args, '--onetime', ...appFlags(dir)], { env: baseEnv({ KEYPLATE_CACHE_DIR: cacheDir }), encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.status).toBe(0);
  };
  /** Each code cache companion (named after its engine) with its inode and modification time. */
  const companions = () =>
    Object.fromEntries(
      readdirSync(cacheDir)
        .filter((name) => /^templates-.*\.js\./.test(name))
        .map((name) => {
          const st = statSync(path.join(cacheDir, name));
          return [name, `${st.ino}:${st.mtimeMs}`];
        }),
    );
  return { cacheDir, run, companions };
}

describe('one cache directory shared by Node and the executable', () => {
  it('alternating node and exe runs both hit their own code cache', () => {
    const { run, companions } = setup();
    run('node');
    run('exe');
    const made = companions();
    expect(Object.keys(made).sort()).toEqual([
      expect.stringMatching(/\.js\.bun-\d+\.\d+\.\d+\.jsc$/),
      expect.stringMatching(/\.js\.v8-[\w.-]+\.v8$/),
    ]);
    for (const runtime of ['node', 'exe', 'node', 'exe'] as const) run(runtime);
    expect(companions()).toEqual(made);
  });

  it('a companion its engine rejects is rewritten (so an unchanged one above was a hit)', () => {
    const { cacheDir, run, companions } = setup();
    run('node');
    run('exe');
    for (const [name, runtime] of [[/\.jsc$/, 'exe'], [/\.v8$/, 'node']] as const) {
      const file = Object.keys(companions()).find((n) => name.test(n))!;
      const full = path.join(cacheDir, file);
      const text = readFileSync(full);
      const tag = text.subarray(0, text.indexOf(10) + 1);
      const garbage = Buffer.concat([tag, Buffer.alloc(text.length - tag.length, 7)]); // same tag, same length
      writeFileSync(full, garbage);
      const before = companions()[file];
      run(runtime);
      expect(companions()[file]).not.toBe(before);
      const now = readFileSync(full);
      expect(now.equals(garbage)).toBe(false); // made anew by its engine, under the same tag
      expect(now.subarray(0, tag.length).equals(tag)).toBe(true);
    }
  });
});
