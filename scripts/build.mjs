// Build dist/: one CommonJS bundle for keyplate, plus third-party code loaded only when needed.
//
// Why CommonJS: measured on Node 20, an ESM entry pays for the ESM loader and for wrapping every
// node: builtin as an ES module (~20 ms on `keyplate --onetime`); require() of a builtin is nearly free.
// Our own lazily used code (watch loop, backends, operations server) stays in the one bundle: esbuild
// wraps it so it is parsed lazily and only evaluated on first use. Heavy third-party code that the start
// path never needs (the Handlebars compiler, chokidar, jsdiff) goes to dist/vendor/*.cjs, required on demand.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildId } from './lib/build-id.mjs';
import { etcdGrpc, etcdProtos, grpcIpServername } from './lib/static-loads.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Cache entries of one build are not read by another (src/cache/disk.ts).
const identity = buildId(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const vendor = { handlebars: 'handlebars', chokidar: 'chokidar', diff: 'diff' };
// Fully minified: every start reads, and V8 deserializes, the whole bundle; short names make it ~30% smaller and
// `keyplate --onetime` ~3 ms faster (bench/startup.ts). Error messages never depend on function names.
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', minifySyntax: true, minifyWhitespace: true, minifyIdentifiers: true, charset: 'ascii', legalComments: 'none', logLevel: 'warning' };

// The etcd client and the gRPC library it uses, as one file with etcd's .proto files parsed at build time
// (scripts/lib/static-loads.mjs, as in the executable). Loaded from node_modules, etcd3 spent ~45 ms resolving
// and compiling some 150 files and ~45 ms parsing rpc.proto on every start (--cpu-prof, 200 resources, etcd).
// Both names come from this one file, so that etcd3 and backends/etcd-client.ts share one grpc-js.
const etcdVendor = { etcd3: 'etcd3', '@grpc/grpc-js': 'grpc' };
/** The one module in the main bundle that loads dist/vendor/etcd.cjs (lazyRequire, below). */
const etcdShared = 'keyplate-etcd-vendor';

await Promise.all([
  ...Object.entries(vendor).map(([name, entry]) =>
    build({ ...common, stdin: { contents: `module.exports = require(${JSON.stringify(entry)});`, resolveDir: process.cwd() }, outfile: `dist/vendor/${name}.cjs` }),
  ),
  build({
    ...common,
    stdin: { contents: "exports.etcd3 = require('etcd3');\nexports.grpc = require('@grpc/grpc-js');", resolveDir: process.cwd() },
    outfile: 'dist/vendor/etcd.cjs',
    plugins: [etcdProtos, grpcIpServername],
  }),
]);

// import() of a package or builtin stays import() in CJS output, which vm-loaded code cannot run; route each
// through a one-line CommonJS module so esbuild turns it into a lazy require(). The Go template engine goes the
// same way to its own bundle (below).
const lazyRequire = {
  name: 'lazy-require',
  setup(b) {
    const vendorNames = new Set([...Object.keys(vendor), ...Object.keys(etcdVendor)]);
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === etcdShared) return { path: etcdShared, namespace: 'etcd-vendor' };
      if (args.namespace === 'lazy-require') {
        return { path: vendorNames.has(args.path) ? `./vendor/${args.path}.cjs` : args.path, external: true };
      }
      if (args.kind === 'dynamic-import' || vendorNames.has(args.path)) return { path: args.path, namespace: 'lazy-require' };
      return undefined;
    });
    b.onResolve({ filter: /^\.\/go-compile\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: './keyplate-go.cjs', namespace: 'lazy-require' } : undefined));
    b.onResolve({ filter: /^\.\/keyplate-go\.cjs$/, namespace: 'lazy-require' }, (args) => (args.kind === 'require-call' ? { path: args.path, external: true } : undefined));
    // dist/vendor/etcd.cjs loads once for both its names, through the launcher's code cache like the Go bundle:
    // compiling its 540 KB again on every Node 20 start cost ~20 ms of an etcd run's CPU (bench/scale.ts).
    b.onResolve({ filter: /^\.\/vendor\/etcd\.cjs$/, namespace: 'etcd-vendor' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'etcd-vendor' }, () => ({
      contents: "const load = globalThis[Symbol.for('keyplate.load')];\nmodule.exports = load ? load('vendor/etcd.cjs') : require('./vendor/etcd.cjs');",
      loader: 'js',
    }));
    // The Go bundle loads through the launcher's code cache when the launcher started keyplate.
    const goLoader = "const load = globalThis[Symbol.for('keyplate.load')];\nmodule.exports = load ? load('keyplate-go.cjs') : require('./keyplate-go.cjs');";
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({
      contents:
        args.path === './keyplate-go.cjs'
          ? goLoader
          : args.path in etcdVendor
            ? `module.exports = require(${JSON.stringify(etcdShared)}).${etcdVendor[args.path]};`
            : `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// The Go template engine (src/template/go-compile.ts with src/template/go/), required only when a template is Go.
// Inside the main bundle its ~90 KB cost every Handlebars start ~3 ms (templates-example: 25.3 → 28.3 ms): esbuild
// lifts a lazily evaluated module's functions to the bundle's top level, where V8 sets each one up at load and the
// code cache grows. The modules it shares with the main bundle are copies: go-compile.ts hands nothing back by
// identity (see there).
await build({
  ...common,
  entryPoints: ['src/template/go-compile.ts'],
  outfile: 'dist/keyplate-go.cjs',
  external: ['etcd3', 'consul', 'prom-client'],
  plugins: [lazyRequire],
  banner: { js: "const __kpImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  define: { KEYPLATE_VERSION: JSON.stringify(pkg.version), KEYPLATE_BUILD: JSON.stringify(identity), 'import.meta.url': '__kpImportMeta.url' },
});

await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/keyplate-main.cjs',
  // consul and prom-client load from node_modules, etcd3 from dist/vendor/etcd.cjs, only when used.
  external: ['consul', 'prom-client'],
  // backends/etcd-client.ts takes the grpc-js that etcd3 uses: the one in dist/vendor/etcd.cjs.
  plugins: [lazyRequire, etcdGrpc],
  // import.meta.url, computed on first use: node:url's pathToFileURL costs the start path ~0.5 ms, and only the
  // lazily loaded etcd client and reaper need it.
  banner: { js: "const __kpImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  define: { KEYPLATE_VERSION: JSON.stringify(pkg.version), KEYPLATE_BUILD: JSON.stringify(identity), 'import.meta.url': '__kpImportMeta.url' },
});

// Each bundle the launcher loads holds its own CommonJS wrapper, written out and called at the end (a one-line
// tail): Node 22+ requires the file as it is, while Node 20's launcher compiles the text before the tail, a slice
// of the string read (no copy), through vm.Script with the code cache. Wrapping the text at run time instead made V8
// flatten a second copy of the whole bundle on every start (~190 KB, ~45 page faults; see scripts/launcher.cjs).
const wrapperHead = '(function (exports, require, module, __filename, __dirname) {';
const wrapperTail = '\n})(exports, require, module, __filename, __dirname);\n';
for (const file of ['dist/keyplate-main.cjs', 'dist/keyplate-go.cjs', 'dist/vendor/etcd.cjs']) {
  writeFileSync(file, wrapperHead + readFileSync(file, 'utf8') + wrapperTail);
}

// The entry point: loads the bundle through V8's code cache (see scripts/launcher.cjs).
copyFileSync('scripts/launcher.cjs', 'dist/keyplate.cjs');
chmodSync('dist/keyplate.cjs', 0o755);

// The zombie reaper (for keyplate as PID 1) is optional: build it when the toolchain is there.
if (existsSync('native/reaper/build.mjs')) {
  const r = spawnSync(process.execPath, ['native/reaper/build.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) console.warn('keyplate build: the reaper addon was not built; keyplate still works, but as PID 1 use docker run --init');
}

// Seed V8's code cache (dist/.v8-cache, for the Node that builds; another Node makes its own at its first render) with a typical start: the launcher saves the cache
// at the end of the first run, with every function that run compiled, and keeps it while it stays valid. Left
// to chance, the first run might be `keyplate --version`, and every later render would compile lazily
// (measured: 5 ms slower at 100 resources). The kept run renders templates-example's two resources, one file
// already up to date and one to create, after a first run that filled a scratch template cache. Without their
// check/reload commands: that code is a tenth of the cache, and where a command runs, its process costs far
// more than compiling the code that starts it.
const seed = mkdtempSync(path.join(os.tmpdir(), 'keyplate-build-'));
try {
  const confdir = path.join(seed, 'confdir');
  cpSync('templates-example', confdir, { recursive: true, filter: (src) => !src.includes(`${path.sep}out${path.sep}`) });
  mkdirSync(path.join(confdir, 'out'), { recursive: true });
  for (const file of readdirSync(path.join(confdir, 'conf.d'))) {
    const toml = path.join(confdir, 'conf.d', file);
    writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^(check|reload)_cmd\s*=.*$/gm, ''));
  }
  // And one confd template, so that keyplate-go.cjs has its own code cache too (kept apart from the main bundle's,
  // which Handlebars-only starts read).
  writeFileSync(path.join(confdir, 'conf.d', 'confd.toml'), '[template]\nsrc = "confd.tmpl"\ndest = "out/confd.conf"\nprefix = "/myapp"\nkeys = ["/upstream"]\n');
  writeFileSync(path.join(confdir, 'templates', 'confd.tmpl'), '{{range gets "/upstream/*"}}server {{base .Key}} {{.Value}}\n{{end}}');
  const render = () => {
    const env = { PATH: process.env.PATH, KEYPLATE_CACHE_DIR: path.join(seed, 'templates') };
    const r = spawnSync(process.execPath, ['dist/keyplate.cjs', '--onetime', '--confdir', confdir, '--log-level', 'error'], { env, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`keyplate build: rendering templates-example failed (exit ${r.status})`);
  };
  render();
  rmSync(path.join(confdir, 'out', 'nginx.conf'));
  rmSync('dist/.v8-cache', { recursive: true, force: true });
  render();
} finally {
  rmSync(seed, { recursive: true, force: true });
}
