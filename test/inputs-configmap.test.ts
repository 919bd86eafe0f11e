// conf.d and templates/ mounted from a Kubernetes ConfigMap: the files live in `..<timestamp>/`, `..data` links to
// it, and each visible file is a link through `..data`. The visible files are the resources; the rest is the mount's.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, runCli, tempDir } from './util.js';

afterEach(cleanupTemps);

/** A directory laid out as the kubelet writes a ConfigMap volume. */
function configMapVolume(dir: string, files: Record<string, string>): void {
  const stamp = '..2026_11_30_00_48_59.1234567890';
  mkdirSync(path.join(dir, stamp), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, stamp, name), text);
  symlinkSync(stamp, path.join(dir, '..data'));
  for (const name of Object.keys(files)) symlinkSync(path.join('..data', name), path.join(dir, name));
}

describe('a confdir mounted from a Kubernetes ConfigMap', () => {
  it('loads each resource once, through the visible links, by the run and by check', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'out'));
    configMapVolume(path.join(dir, 'conf.d'), {
      'app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
      'db.toml': '[template]\nsrc = "db.tmpl"\ndest = "out/db.conf"\nkeys = ["/app"]\n',
    });
    configMapVolume(path.join(dir, 'templates'), { 'app.tmpl': 'port={{getv "/app/port"}}\n', 'db.tmpl': 'db={{getv "/app/db"}}\n' });
    const env = baseEnv({ APP_PORT: '80', APP_DB: 'pg' });
    const run = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(run.stderr).not.toMatch(/ERROR|two resources/);
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out', 'app.conf'), 'utf8')).toBe('port=80\n');
    expect(readFileSync(path.join(dir, 'out', 'db.conf'), 'utf8')).toBe('db=pg\n');
    const check = await runCli(['check', '--confdir', dir], { env, cwd: dir });
    // Each resource once (check names each template's engine on the line under it).
    expect(check.stdout).toMatch(/^app\.toml → .*\n(  .*\n)?db\.toml → .*\n(  .*\n)?ok: 2 resources\n$/);
    expect(check.code).toBe(0);
  });
});
