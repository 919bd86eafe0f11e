// Run by Bun (scripts/build-exe.mjs starts it): compile src/runtime/bun-entry.ts into one executable.
//   bun scripts/lib/exe-bundle.mjs <bun target> <runtime executable> <outfile> <version>
// What keyplate loads from node_modules at run time is made static first (scripts/lib/static-loads.mjs).
// Bytecode: JavaScriptCore's bytecode is compiled now and stored in the executable, so a start parses nothing;
// measured on `--onetime` with templates-example, 9.9 ms with it, 37.8 ms without (hyperfine, 20 runs).
// KEYPLATE_EXE_BYTECODE=0 builds without it (bench/exe.ts does, to show the difference).
// autoloadDotenv/autoloadBunfig off: a compiled Bun reads .env and bunfig.toml from the working directory by
// default; keyplate's environment must come only from its own flags (test/exe.test.ts).
// grpc-js's TLS server name: Bun's tls.connect refuses an IP address as `servername` (ERR_INVALID_ARG_VALUE;
// RFC 6066 allows no IP in SNI), where Node sends it with a warning (DEP0123). grpc-js sets it to the target's
// host, so etcd over TLS with a node given as an IP address (https://10.0.0.5:2379) failed every handshake in
// the executable. Left unset for an IP, the certificate is still checked against the host, the IP, as Node's
// checkServerIdentity does (test/exe-musl.test.ts: the right CA renders, another CA is refused).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { replaceOnce, staticLoads } from './static-loads.mjs';

const grpcIpServername = {
  name: 'keyplate-grpc-ip-servername',
  setup(build) {
    build.onLoad({ filter: /@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]channel-credentials\.js$/ }, (args) => {
      const from = 'connectionOptions.servername = remoteHost;';
      const to = 'if (!require("net").isIP(remoteHost)) connectionOptions.servername = remoteHost;';
      return { contents: replaceOnce(args.path, readFileSync(args.path, 'utf8'), from, to), loader: 'js' };
    });
  },
};

const [target, runtime, outfile, version] = process.argv.slice(2);
const root = path.resolve(import.meta.dir, '..', '..');

const result = await Bun.build({
  entrypoints: [path.join(root, 'src', 'runtime', 'bun-entry.ts')],
  target: 'bun',
  minify: true,
  bytecode: process.env.KEYPLATE_EXE_BYTECODE !== '0',
  define: { KEYPLATE_VERSION: JSON.stringify(version) },
  plugins: [staticLoads, grpcIpServername],
  compile: { target, outfile, executablePath: runtime, autoloadDotenv: false, autoloadBunfig: false },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
