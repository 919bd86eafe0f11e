// Run by Bun (scripts/build-exe.mjs starts it): compile src/runtime/bun-entry.ts into one executable.
//   bun scripts/lib/exe-bundle.mjs <bun target> <runtime executable> <outfile> <version>
// What keyplate loads from node_modules at run time is made static first (scripts/lib/static-loads.mjs).
// Bytecode: JavaScriptCore's bytecode is compiled now and stored in the executable, so a start parses nothing;
// measured on `--onetime` with templates-example, 9.9 ms with it, 37.8 ms without (hyperfine, 20 runs).
// KEYPLATE_EXE_BYTECODE=0 builds without it (bench/exe.ts does, to show the difference).
// autoloadDotenv/autoloadBunfig off: a compiled Bun reads .env and bunfig.toml from the working directory by
// default; keyplate's environment must come only from its own flags (test/exe.test.ts).
// grpcIpServername: etcd over TLS to a node given as an IP address (see static-loads.mjs).
import path from 'node:path';
import { buildId } from './build-id.mjs';
import { grpcIpServername, staticLoads } from './static-loads.mjs';

const [target, runtime, outfile, version] = process.argv.slice(2);
const root = path.resolve(import.meta.dir, '..', '..');

const result = await Bun.build({
  entrypoints: [path.join(root, 'src', 'runtime', 'bun-entry.ts')],
  target: 'bun',
  minify: true,
  bytecode: process.env.KEYPLATE_EXE_BYTECODE !== '0',
  define: { KEYPLATE_VERSION: JSON.stringify(version), KEYPLATE_BUILD: JSON.stringify(buildId(root)) },
  plugins: [staticLoads, grpcIpServername],
  compile: { target, outfile, executablePath: runtime, autoloadDotenv: false, autoloadBunfig: false },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
