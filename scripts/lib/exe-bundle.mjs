// Run by Bun (scripts/build-exe.mjs starts it): compile src/main.ts into one executable.
//   bun scripts/lib/exe-bundle.mjs <bun target> <runtime executable> <outfile> <version>
//
// Two things keyplate loads at run time from node_modules in the Node build are made static here, because a
// compiled executable has no node_modules:
// - etcd3 parses its .proto files (rpc.proto importing kv.proto and auth.proto) from disk when first required.
//   They are parsed now, at build time, with the same loader and options, and the executable carries the parsed
//   definitions as JSON for @grpc/proto-loader's fromJSON.
// - backends/etcd-client.ts asks for the @grpc/grpc-js that etcd3 itself resolves (createRequire at run time);
//   compiled, that is the one grpc-js the bundle holds, so the lookup becomes a static import.
// Each rewrite fails the build when the text it replaces is no longer there.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [target, runtime, outfile, version] = process.argv.slice(2);
const root = path.resolve(import.meta.dir, '..', '..');
const require = createRequire(path.join(root, 'package.json'));

const etcdDir = path.dirname(require.resolve('etcd3/package.json'));
const protoLoaderDir = path.dirname(createRequire(path.join(etcdDir, 'lib', 'index.js')).resolve('@grpc/proto-loader/package.json'));
const { loadProtosWithOptionsSync } = createRequire(path.join(protoLoaderDir, 'package.json'))('./build/src/util.js');

function replaceOnce(file, text, from, to) {
  if (!text.includes(from)) throw new Error(`keyplate build:exe: ${file} no longer contains \`${from}\`; update scripts/lib/exe-bundle.mjs`);
  return text.replace(from, to);
}

const rewrites = {
  name: 'keyplate-static-loads',
  setup(build) {
    build.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
      const parsed = loadProtosWithOptionsSync(path.join(path.dirname(args.path), '..', 'proto', 'rpc.proto'), options);
      const source = replaceOnce(args.path, readFileSync(args.path, 'utf8'), '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`,', `(0, proto_loader_1.fromJSON)(${JSON.stringify(parsed.toJSON())},`);
      return { contents: source, loader: 'js' };
    });
    build.onLoad({ filter: /backends[\\/]etcd-client\.ts$/ }, (args) => {
      const from = "createRequire(require.resolve('etcd3'))('@grpc/grpc-js')";
      const source = replaceOnce(args.path, readFileSync(args.path, 'utf8'), from, '__keyplateGrpc');
      return { contents: `import __keyplateGrpc from '@grpc/grpc-js';\n${source}`, loader: 'ts' };
    });
  },
};

const result = await Bun.build({
  entrypoints: [path.join(root, 'src', 'runtime', 'bun-entry.ts')],
  target: 'bun',
  minify: true,
  bytecode: process.env.KEYPLATE_EXE_BYTECODE !== '0',
  define: { KEYPLATE_VERSION: JSON.stringify(version) },
  plugins: [rewrites],
  compile: { target, outfile, executablePath: runtime, autoloadDotenv: false, autoloadBunfig: false },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
