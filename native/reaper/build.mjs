// Builds the zombie-reaper addon with the node-gyp that ships inside npm, against
// the Node headers already on this machine. Never fails the caller: without the
// addon keyplate still runs, and src/reaper.ts warns once when it is PID 1.
//   node native/reaper/build.mjs [--force]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, 'build', 'Release', 'reaper.node');
const sources = ['reaper.c', 'binding.gyp', 'build.mjs'].map((file) => join(here, file));

function warn(message) {
  process.stderr.write(`keyplate: native/reaper: ${message}; zombies will not be reaped when keyplate runs as PID 1 (use \`docker run --init\`)\n`);
}

function upToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((file) => statSync(file).mtimeMs <= built);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // No npm on PATH: the other candidates may still hold.
  }
  return candidates.find((file) => file && existsSync(file));
}

// node-gyp downloads headers unless told where they are; only the registries are
// reachable here, so point it at the headers installed with Node when present.
function findNodeDir() {
  const candidates = [resolve(dirname(process.execPath), '..'), process.config.variables.node_prefix];
  return candidates.find((dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h')));
}

if (!process.argv.includes('--force') && upToDate()) {
  process.exit(0);
}
if (process.platform !== 'linux') {
  warn(`the reaper is Linux-only (this is ${process.platform})`);
  process.exit(0);
}
const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  warn('node-gyp was not found (it ships with npm)');
  process.exit(0);
}
const nodeDir = findNodeDir();
const args = [nodeGyp, 'rebuild', '--loglevel=warn', ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
// Quiet on success; on failure show node-gyp's own output above the warning.
const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status !== 0 || !existsSync(output)) {
  process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  warn(`building the addon failed (node-gyp ${result.error?.message ?? `exited with ${result.status ?? result.signal}`})`);
  process.exit(0);
}
