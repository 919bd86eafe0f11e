#!/bin/sh
':' //; exec node -- "$0" "$@"
// ^ Run as a program, this file starts as a shell script that runs itself with node, behind `--`: Node reads
// `--env-file` from the whole command line up to a `--` (on Node 20 and 24 alike) and would take keyplate's own
// --env-file, failing with `node: FILE: not found` (exit 9) before keyplate runs. To Node those two lines are a
// comment and a string. Measured: the shell costs ~0.2 ms (templates-example --onetime through the bin, medians of
// 40 interleaved: 24.9 ms against 24.7 ms with `#!/usr/bin/env node`; `node -e 0` 18.3 ms).
//
// keyplate's entry: load the bundle with V8's code cache, so a start skips compiling ~200 KB of JavaScript. The
// cache sits next to the bundle, keyed by Node's version, the way v8-compile-cache does, and is made at the end of
// a run, so that it holds every function that run compiled. Node 22+'s own module.enableCompileCache makes its cache
// right after compiling, before anything runs: it held 73 KB where ours holds ~280 KB, and the lazily compiled rest
// cost a Node 24 start ~7 ms (templates-example: 33.7 → 26.2 ms, medians of 15). A missing or stale cache only
// costs one compile.
//
// A cache made by a run that rendered nothing (`keyplate --version` as the first run after an install) is marked
// thin and replaced by the next run that rendered (the bundle sets Symbol.for('keyplate.rendered')); a full one
// stays until Node or the bundle changes. The Go template engine (keyplate-go.cjs, loaded only when a template is
// Go) comes through the same function, which the launcher leaves on globalThis under Symbol.for('keyplate.load').
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cacheDir = path.join(__dirname, '.v8-cache');
// 8 bytes before V8's data, so that the data stays 8-byte aligned (V8 copies unaligned code cache).
const fullMark = 'keyplate';
const thinMark = 'kp-thin ';
const rendered = Symbol.for('keyplate.rendered');

/** Run dist/`name` (a CommonJS bundle) through V8's code cache and return its exports. */
function load(name) {
  const bundle = path.join(__dirname, name);
  const vm = require('node:vm');
  const cacheFile = path.join(cacheDir, `${path.basename(name, '.cjs')}.${process.version}.${process.arch}.cache`);
  // UTF-8: esbuild's ascii charset escapes strings but leaves regular expressions as written (`µs` in the
  // duration parser). On Node 20 a 'utf8' read is one native call, twice as fast as 'latin1' here.
  // The bundle is its own CommonJS wrapper, called by a one-line tail (scripts/build.mjs). The function before the
  // tail is a slice of the string read, which V8 compiles without copying; a wrapper added here by concatenation
  // made V8 flatten a second copy of the whole bundle on every start.
  const text = fs.readFileSync(bundle, 'utf8');
  const source = text.slice(0, text.lastIndexOf('\n})(') + 3);
  let cachedData;
  let full = false;
  try {
    const data = fs.readFileSync(cacheFile);
    const mark = data.toString('latin1', 0, 8);
    if (mark === fullMark || mark === thinMark) {
      full = mark === fullMark;
      cachedData = data.subarray(8);
    }
  } catch {}
  const script = new vm.Script(source, { filename: bundle, cachedData });
  const stale = cachedData === undefined || script.cachedDataRejected;
  if (stale || !full) {
    // After the run, so that the functions this run compiled lazily are in the cache too.
    process.once('exit', () => {
      const ranFull = globalThis[rendered] === true;
      if (!stale && !ranFull) return; // a thin cache stays until a run that renders replaces it
      let fd;
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        // Opened before the cache is made: a read-only install pays nothing.
        fd = fs.openSync(tmp, 'w');
        fs.writeSync(fd, ranFull ? fullMark : thinMark);
        fs.writeSync(fd, script.createCachedData());
        fs.closeSync(fd);
        fd = undefined;
        fs.renameSync(tmp, cacheFile);
      } catch {
        try {
          if (fd !== undefined) fs.closeSync(fd);
          fs.rmSync(tmp, { force: true });
        } catch {}
      }
    });
  }
  const module = { exports: {}, id: bundle, filename: bundle, loaded: false };
  script.runInThisContext()(module.exports, require, module, bundle, __dirname);
  return module.exports;
}

globalThis[Symbol.for('keyplate.load')] = load;
load('keyplate-main.cjs');
