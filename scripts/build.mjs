// Build dist/: one ESM bundle for the start path plus lazily loaded chunks (compiler, backends, watch).
// A bundle loads in one read instead of hundreds of module resolutions: start time is a product feature.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { keyplate: 'src/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // etcd3 loads .proto files from its own folder at run time, and consul is small: keep both as packages.
  external: ['etcd3', 'consul'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kpCreateRequire } from 'node:module';\nconst require = __kpCreateRequire(import.meta.url);",
  },
  define: { KEYPLATE_VERSION: JSON.stringify(pkg.version) },
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// The zombie reaper (for keyplate as PID 1) is optional: build it when the toolchain is there.
if (existsSync('native/reaper/build.mjs')) {
  const r = spawnSync(process.execPath, ['native/reaper/build.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) console.warn('keyplate build: the reaper addon was not built; keyplate still works, but as PID 1 use docker run --init');
}
