// Run a TypeScript script (bench/*.ts) by bundling it with esbuild to a temp file first.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
// Two levels below the project root, like the sources: package imports resolve from node_modules, and
// paths the sources build from import.meta.url ('../../.servers') still land in the project.
const outDir = path.resolve('bench/.run');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, `${path.basename(entry, '.ts')}-${process.pid}.mjs`);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // esbuild runs its own binary found beside its package: it cannot be bundled (bench/sea.ts builds with it).
  external: ['etcd3', 'consul', 'prom-client', 'esbuild'],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
