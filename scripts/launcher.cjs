#!/bin/sh
':' //; exec node -- "$0" "$@"
// ^ Run as a program, this file starts as a shell script that runs itself with node, behind `--`: Node reads
// `--env-file` from the whole command line up to a `--` (on Node 20 and 24 alike) and would take keyplate's own
// --env-file, failing with `node: FILE: not found` (exit 9) before keyplate runs. To Node those two lines are a
// comment and a string. Measured: the shell costs ~0.2 ms (templates-example --onetime through the bin, medians of
// 40 interleaved: 24.9 ms against 24.7 ms with `#!/usr/bin/env node`; `node -e 0` 18.3 ms).
//
// keyplate's entry: load the bundle with V8's code cache, so a start skips compiling ~200 KB of JavaScript.
// Node 22.1+ does this itself (module.enableCompileCache); on Node 20 we keep the cache next to the bundle,
// keyed by Node's version, the way v8-compile-cache does. A missing or stale cache only costs one compile.
// The Go template engine (keyplate-go.cjs, loaded only when a template is Go) comes through the same function,
// which the launcher leaves on globalThis under Symbol.for('keyplate.load').
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cacheDir = path.join(__dirname, '.v8-cache');
// module.enableCompileCache exists from Node 22.1. Told by the version: loading node:module to look costs 0.5 ms.
const [major, minor] = process.versions.node.split('.').map(Number);
const nodeCaches = major > 22 || (major === 22 && minor >= 1);

/** Run dist/`name` (a CommonJS bundle) through V8's code cache and return its exports. */
function load(name) {
  const bundle = path.join(__dirname, name);
  if (nodeCaches) return require(bundle);
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
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
  const script = new vm.Script(source, {
    filename: bundle,
    cachedData,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, so that the functions this run compiled lazily are in the cache too.
    process.once('exit', () => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {}
    });
  }
  const module = { exports: {}, id: bundle, filename: bundle, loaded: false };
  script.runInThisContext()(module.exports, require, module, bundle, __dirname);
  return module.exports;
}

if (nodeCaches && !process.env.NODE_COMPILE_CACHE) {
  try {
    require('node:module').enableCompileCache(cacheDir);
  } catch {
    // A read-only install: run without the cache.
  }
}
globalThis[Symbol.for('keyplate.load')] = load;
load('keyplate-main.cjs');
