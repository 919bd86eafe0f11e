// What a single-file build (the Bun executable, scripts/lib/exe-bundle.mjs; Node's single executable application,
// bench/sea.ts) must make static, because keyplate's Node build loads it from node_modules at run time:
// - etcd3 parses its .proto files (rpc.proto importing kv.proto and auth.proto) from disk when first required.
//   They are parsed at build time, with the same loader and options, and the build carries the parsed
//   definitions as JSON for @grpc/proto-loader's fromJSON.
// - backends/etcd-client.ts asks for the @grpc/grpc-js that etcd3 itself resolves (createRequire at run time);
//   in one file that is the one grpc-js the bundle holds, so the lookup becomes a static import.
// Each rewrite fails the build when the text it replaces is no longer there. A plugin for Bun.build and esbuild
// alike (both take { name, setup(build) } with onLoad).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `text` (of `file`) with `from` replaced by `to`; throws, failing the build, when `from` is not there. */
export function replaceOnce(file, text, from, to) {
  if (!text.includes(from)) throw new Error(`keyplate build: ${file} no longer contains \`${from}\`; update scripts/lib/static-loads.mjs`);
  return text.replace(from, to);
}

function etcdProtoJson() {
  const etcdDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('etcd3/package.json'));
  const fromEtcd = createRequire(path.join(etcdDir, 'lib', 'index.js'));
  const { loadProtosWithOptionsSync } = createRequire(fromEtcd.resolve('@grpc/proto-loader/package.json'))('./build/src/util.js');
  const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
  return JSON.stringify(loadProtosWithOptionsSync(path.join(etcdDir, 'proto', 'rpc.proto'), options).toJSON());
}

/** etcd3's connection pool with rpc.proto parsed now: fromJSON at run time instead of loadSync. */
export const etcdProtos = {
  name: 'keyplate-etcd-protos',
  setup(build) {
    build.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const from = '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`,';
      return { contents: replaceOnce(args.path, readFileSync(args.path, 'utf8'), from, `(0, proto_loader_1.fromJSON)(${etcdProtoJson()},`), loader: 'js' };
    });
  },
};

/** backends/etcd-client.ts with etcd3's grpc-js as a static import (the one grpc-js the bundle holds). */
export const etcdGrpc = {
  name: 'keyplate-etcd-grpc',
  setup(build) {
    build.onLoad({ filter: /backends[\\/]etcd-client\.ts$/ }, (args) => {
      const from = "createRequire(require.resolve('etcd3'))('@grpc/grpc-js')";
      const source = replaceOnce(args.path, readFileSync(args.path, 'utf8'), from, '__keyplateGrpc');
      return { contents: `import __keyplateGrpc from '@grpc/grpc-js';\n${source}`, loader: 'ts' };
    });
  },
};

export const staticLoads = {
  name: 'keyplate-static-loads',
  setup(build) {
    etcdProtos.setup(build);
    etcdGrpc.setup(build);
  },
};

/**
 * grpc-js's TLS server name. grpc-js sets `servername` to the target's host, an IP address too: Bun's tls.connect
 * refuses that (ERR_INVALID_ARG_VALUE; RFC 6066 allows no IP in SNI), so etcd over TLS with a node given as an IP
 * (https://10.0.0.5:2379) failed every handshake in the executable; Node sends it with a DEP0123 warning on stderr,
 * which broke --log-format json. Left unset for an IP, the certificate is still checked against the host, the IP,
 * as Node's checkServerIdentity does (test/exe-musl.test.ts: the right CA renders, another CA is refused). Used by
 * the executable's build and dist/vendor/etcd.cjs's (esbuild and Bun take the same plugin shape).
 */
export const grpcIpServername = {
  name: 'keyplate-grpc-ip-servername',
  setup(build) {
    build.onLoad({ filter: /@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]channel-credentials\.js$/ }, (args) => {
      const from = 'connectionOptions.servername = remoteHost;';
      const to = 'if (!require("net").isIP(remoteHost)) connectionOptions.servername = remoteHost;';
      return { contents: replaceOnce(args.path, readFileSync(args.path, 'utf8'), from, to), loader: 'js' };
    });
  },
};
