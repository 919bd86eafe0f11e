// Node's single executable application (SEA) of keyplate, built only for `npm run bench -- exe`: the candidate
// the Bun executable was chosen over (README "Install"). One CommonJS bundle with every dependency inside (the
// same static loads as the Bun build), a SEA blob with V8's code cache, injected into a copy of `node` with
// postject, as Node's documentation describes for Node 20 to 24.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs shared with the Bun build, without type declarations
import { staticLoads } from '../scripts/lib/static-loads.mjs';

const fuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Builds bench/.scratch/sea/keyplate-sea-<node version> from src/main.ts with `node`; returns its path. */
export async function buildSea(node: string, dir = path.resolve('bench/.scratch/sea')): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const main = path.join(dir, 'keyplate-sea.cjs');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  await build({
    entryPoints: ['src/main.ts'],
    outfile: main,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
    plugins: [staticLoads],
    banner: { js: "const __kpImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
    define: { KEYPLATE_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__kpImportMeta.url' },
  });
  const blob = path.join(dir, 'sea.blob');
  const config = path.join(dir, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = path.join(dir, `keyplate-sea-${version}`);
  copyFileSync(node, out);
  chmodSync(out, 0o755);
  execFileSync(process.execPath, [path.resolve('node_modules/postject/dist/cli.js'), out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', fuse], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}
