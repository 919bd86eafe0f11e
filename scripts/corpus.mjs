#!/usr/bin/env node
// `npm run corpus`: every case of the shared confd corpus (../shared/corpus/confd-templates, read in place: its
// run.mjs works in scratch copies) rendered by the built keyplate exactly as the corpus's MANIFEST.md says, compared
// byte for byte with what confd 0.17 wrote. Exit 0 only when every case is identical; 2 when the corpus or etcd is
// not there. $KEYPLATE_CORPUS_DIR names another copy; $ETCD_BIN another etcd (as the tests take it).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** $KEYPLATE_CORPUS_DIR, else shared/corpus/confd-templates beside the repository or one of its parents. */
function corpusDir() {
  if (process.env.KEYPLATE_CORPUS_DIR) return process.env.KEYPLATE_CORPUS_DIR;
  for (let dir = root; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared', 'corpus', 'confd-templates');
    if (existsSync(path.join(candidate, 'run.mjs'))) return candidate;
  }
  return undefined;
}

/** $ETCD_BIN, else the first etcd on PATH (test/servers/etcd.ts looks the same way). */
function etcdBinary() {
  const candidates = process.env.ETCD_BIN ? [process.env.ETCD_BIN] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'etcd'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const corpus = corpusDir();
if (!corpus || !existsSync(path.join(corpus, 'run.mjs'))) {
  console.error(`corpus: no confd corpus found (looked for ../shared/corpus/confd-templates${process.env.KEYPLATE_CORPUS_DIR ? ` and ${process.env.KEYPLATE_CORPUS_DIR}` : ''}); set KEYPLATE_CORPUS_DIR`);
  process.exit(2);
}
const etcd = etcdBinary();
if (!etcd) {
  console.error('corpus: no etcd binary; run `bash scripts/install-etcd.sh` or set ETCD_BIN');
  process.exit(2);
}
const keyplate = path.join(root, 'dist', 'keyplate.cjs');
if (!existsSync(keyplate)) {
  console.error('corpus: dist/keyplate.cjs is missing; run `npm run build` first (npm run corpus does)');
  process.exit(2);
}
console.log(`corpus: ${corpus}\nkeyplate: ${keyplate}\netcd: ${etcd}`);
const run = spawnSync(process.execPath, [path.join(corpus, 'run.mjs'), '--keyplate', keyplate, '--etcd', etcd, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
process.stdout.write(run.stdout ?? '');
const score = /^(\d+)\/(\d+) cases match$/m.exec(run.stdout ?? '');
if (run.status !== 0 || !score || score[1] !== score[2] || Number(score[2]) === 0) {
  console.error(`corpus: not every case renders as confd does (${score ? `${score[1]}/${score[2]}` : `run.mjs exited ${run.status}`})`);
  process.exit(1);
}
console.log(`corpus: ${score[1]}/${score[2]} identical to confd 0.17`);
