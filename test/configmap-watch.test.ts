// conf.d and templates/ mounted from a Kubernetes ConfigMap (issue 10 item 3): kubelet writes each version into a
// timestamped directory, points `..data` at it, and the visible files are links through `..data`. An update swaps
// `..data` (a new symlink renamed over it) and removes the old directory; watch mode must render the new version.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, readIfExists, startCli, tempDir, waitFor } from './util.js';

afterEach(cleanupTemps);

/** Write `files` as kubelet writes a ConfigMap volume version into `dir`: `..<stamp>/`, then `..data` swapped to it. */
function writeVersion(dir: string, stamp: string, files: Record<string, string>): void {
  const version = path.join(dir, `..${stamp}`);
  mkdirSync(version, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(version, name), text);
    try {
      symlinkSync(path.join('..data', name), path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  symlinkSync(`..${stamp}`, path.join(dir, '..data_tmp'));
  renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
}

describe('a confdir mounted from a ConfigMap, in watch mode', () => {
  it('the ..data swap to a new version is picked up and rendered; nothing loads twice', async () => {
    const dir = tempDir();
    const confd = path.join(dir, 'conf.d');
    const templates = path.join(dir, 'templates');
    mkdirSync(path.join(dir, 'out'));
    mkdirSync(confd);
    mkdirSync(templates);
    const toml = `[template]\nsrc = "app.tmpl"\ndest = "${path.join(dir, 'out/app.conf')}"\nkeys = ["/app"]\n`;
    writeVersion(confd, '2026_01_01_00_00_00.1', { 'app.toml': toml });
    writeVersion(templates, '2026_01_01_00_00_00.1', { 'app.tmpl': 'v1 port={{getv "/app/port"}}\n' });
    writeFileSync(path.join(dir, 'dev.env'), 'APP_PORT=80\n');
    const out = path.join(dir, 'out/app.conf');

    const kp = startCli(['--watch', '--confdir', dir, '--env-file', path.join(dir, 'dev.env')], { env: baseEnv() });
    try {
      await waitFor(() => readIfExists(out) === 'v1 port=80\n', 10_000, 'the first render');
      // kubelet's update: the new version of both volumes, `..data` swapped, the old version removed.
      writeVersion(templates, '2026_01_01_00_05_00.2', { 'app.tmpl': 'v2 port={{getv "/app/port"}}\n' });
      rmSync(path.join(templates, '..2026_01_01_00_00_00.1'), { recursive: true });
      await waitFor(() => readIfExists(out) === 'v2 port=80\n', 10_000, 'the new template version');
      const toml2 = toml.replace('keys = ["/app"]', 'keys = ["/app"]\nmode = "0600"\n# v3');
      writeVersion(confd, '2026_01_01_00_10_00.3', { 'app.toml': toml2 });
      rmSync(path.join(confd, '..2026_01_01_00_00_00.1'), { recursive: true });
      writeVersion(templates, '2026_01_01_00_10_00.3', { 'app.tmpl': 'v3 port={{getv "/app/port"}}\n' });
      rmSync(path.join(templates, '..2026_01_01_00_05_00.2'), { recursive: true });
      await waitFor(() => readIfExists(out) === 'v3 port=80\n', 10_000, 'the third version of both');
    } finally {
      kp.child.kill('SIGTERM');
    }
    const { code } = await kp.exited;
    expect(kp.out.stderr).not.toMatch(/ERROR|WARN/);
    expect(code).toBe(0);
  });
});
