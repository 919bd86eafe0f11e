// `npm run build:exe`: keyplate as one self-contained executable per target (exe/keyplate-linux-x64 for
// glibc, exe/keyplate-linux-x64-musl for Alpine), compiled with Bun (`bun build --compile`): Bun's runtime,
// keyplate, every backend with etcd's gRPC and its .proto files, both template engines, the reaper (waitpid
// through Bun's FFI, src/runtime/bun-reaper.ts) and the operations server, with no Node and no node_modules on
// the target. Why Bun and not Node's single executable applications: README "Install" has the measurements.
//
// Run with Node; it starts the Bun that npm installed (@oven/bun-linux-x64, a devDependency) on
// scripts/lib/exe-bundle.mjs. The musl runtime is fetched once with `npm pack` (npm refuses to install a musl
// package on a glibc machine) into node_modules/.cache/keyplate-exe/, at the same version as the glibc one.
//   node scripts/build-exe.mjs [--target linux-x64|linux-x64-musl]...
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const targets = { 'linux-x64': '@oven/bun-linux-x64', 'linux-x64-musl': '@oven/bun-linux-x64-musl' };

function fail(message) {
  process.stderr.write(`keyplate build:exe: ${message}\n`);
  process.exit(1);
}

function bunPackage(name) {
  try {
    const dir = path.dirname(require.resolve(`${name}/package.json`));
    return { dir, version: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version };
  } catch {
    return undefined;
  }
}

const host = bunPackage(targets['linux-x64']);
if (!host) fail('@oven/bun-linux-x64 is not installed; run `npm ci` (it is a devDependency)');
const hostBun = path.join(host.dir, 'bin', 'bun');

/** The Bun runtime for `target`: the installed package, or the same version fetched once with npm pack. */
function runtimeFor(target) {
  const name = targets[target];
  const installed = bunPackage(name);
  if (installed) return path.join(installed.dir, 'bin', 'bun');
  const cache = path.join(root, 'node_modules', '.cache', 'keyplate-exe', `${target}-${host.version}`);
  const bin = path.join(cache, 'package', 'bin', 'bun');
  if (existsSync(bin)) return bin;
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const pack = spawnSync('npm', ['pack', '--silent', `${name}@${host.version}`], { cwd: cache, encoding: 'utf8' });
  if (pack.status !== 0) fail(`npm pack ${name}@${host.version} failed:\n${pack.stderr}`);
  const tarball = path.join(cache, pack.stdout.trim().split('\n').pop());
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', cache], { encoding: 'utf8' });
  if (untar.status !== 0) fail(`unpacking ${tarball} failed:\n${untar.stderr}`);
  rmSync(tarball);
  chmodSync(bin, 0o755);
  return bin;
}

const asked = process.argv.flatMap((arg, i, all) => (all[i - 1] === '--target' ? [arg] : []));
for (const target of asked) if (!(target in targets)) fail(`unknown --target ${target}; known: ${Object.keys(targets).join(', ')}`);
const wanted = asked.length ? asked : Object.keys(targets);
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
mkdirSync(path.join(root, 'exe'), { recursive: true });

for (const target of wanted) {
  const outfile = path.join(root, 'exe', `keyplate-${target}`);
  const runtime = runtimeFor(target);
  const tmp = `${outfile}.tmp`;
  const r = spawnSync(hostBun, [path.join(root, 'scripts', 'lib', 'exe-bundle.mjs'), `bun-${target}`, runtime, tmp, version], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) fail(`compiling ${target} failed (bun exited ${r.status ?? r.signal})`);
  renameSync(tmp, outfile);
  console.log(`keyplate build:exe: ${path.relative(root, outfile)}`);
}
