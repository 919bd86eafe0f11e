// Watch mode follows the confdir wherever its files really are (src/runner/confdir-watch.ts): templates in
// subdirectories, files linked from outside the confdir and edited in place, a templates directory created after
// the start, and a subdirectory added while running.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appFlags, baseEnv, cleanupTemps, makeConfdir, readIfExists, tempDir, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

describe('watch mode follows the confdir', () => {
  it('an edit to a template in a subdirectory, and to a new subdirectory made while running, renders again', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "web/a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n',
      'templates/web/a.tmpl': 'one {{getv "/a/v"}}\n',
      'dev.env': 'A_V=1\n',
    });
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async () => {
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'one 1\n', 10_000, 'first render');
      writeFileSync(path.join(dir, 'templates/web/a.tmpl'), 'two {{getv "/a/v"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'two 1\n', 10_000, 'edit in a subdirectory');
      mkdirSync(path.join(dir, 'templates/api/v1'), { recursive: true });
      writeFileSync(path.join(dir, 'templates/api/v1/b.tmpl'), 'b one {{getv "/a/v"}}\n');
      writeFileSync(path.join(dir, 'conf.d/b.toml'), '[template]\nsrc = "api/v1/b.tmpl"\ndest = "out/b"\nkeys = ["/a"]\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/b')) === 'b one 1\n', 10_000, 'a resource in a new subdirectory');
      writeFileSync(path.join(dir, 'templates/api/v1/b.tmpl'), 'b two {{getv "/a/v"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/b')) === 'b two 1\n', 10_000, 'edit in the new subdirectory');
    });
    expect(code).toBe(0);
  });

  it('a template and a resource file linked from outside the confdir are followed when edited in place', async () => {
    const elsewhere = tempDir();
    writeFileSync(path.join(elsewhere, 'a.tmpl'), 'one {{getv "/a/v"}}\n');
    writeFileSync(path.join(elsewhere, 'unrelated.txt'), 'x');
    const dir = makeConfdir({ 'dev.env': 'A_V=1\n' });
    writeFileSync(path.join(elsewhere, 'a.toml'), `[template]\nsrc = "a.tmpl"\ndest = "${path.join(dir, 'out/a')}"\nkeys = ["/a"]\n`);
    symlinkSync(path.join(elsewhere, 'a.tmpl'), path.join(dir, 'templates/a.tmpl'));
    symlinkSync(path.join(elsewhere, 'a.toml'), path.join(dir, 'conf.d/a.toml'));
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'one 1\n', 10_000, 'first render');
      // A file beside the link's target is not the confdir's: no reload for it.
      writeFileSync(path.join(elsewhere, 'unrelated.txt'), 'y');
      writeFileSync(path.join(elsewhere, 'a.tmpl'), 'two {{getv "/a/v"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'two 1\n', 10_000, 'edit of the linked template');
      writeFileSync(path.join(elsewhere, 'a.toml'), `[template]\nsrc = "a.tmpl"\ndest = "${path.join(dir, 'out/a2')}"\nkeys = ["/a"]\n`);
      await waitFor(() => readIfExists(path.join(dir, 'out/a2')) === 'two 1\n', 10_000, 'edit of the linked resource file');
      expect(kp.out.stderr.match(/confdir reloaded/g)).toHaveLength(2);
    });
    expect(code).toBe(0);
  });

  it('a templates directory removed and made again is followed', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n',
      'templates/a.tmpl': 'one {{getv "/a/v"}}\n',
      'dev.env': 'A_V=1\n',
    });
    const { code } = await whileRunning(['--watch', ...appFlags(dir)], { env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'one 1\n', 10_000, 'first render');
      rmSync(path.join(dir, 'templates'), { recursive: true });
      await waitFor(() => kp.out.stderr.includes('confdir edit rejected'), 10_000, 'the missing template is reported');
      mkdirSync(path.join(dir, 'templates'));
      writeFileSync(path.join(dir, 'templates/a.tmpl'), 'two {{getv "/a/v"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'two 1\n', 10_000, 'the new templates directory');
      writeFileSync(path.join(dir, 'templates/a.tmpl'), 'three {{getv "/a/v"}}\n');
      await waitFor(() => readIfExists(path.join(dir, 'out/a')) === 'three 1\n', 10_000, 'an edit in it');
    });
    expect(code).toBe(0);
  });
});
