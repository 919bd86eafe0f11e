// keyplate as PID 1 without a working reaper warns once; what it advises must be true for the program the user runs.
// The executable reaps through Bun's FFI, which needs JavaScriptCore's JIT: a process denied memory that was
// writable and then executable (prctl PR_SET_MDWE, as systemd's MemoryDenyWriteExecute does) has no JIT, so no FFI.
// It has no addon to build, so its advice is an init process. Node's build has the addon to build, at a path the
// advice names.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asPid1, denyWriteExecute } from './pid1.js';
import { appConfdir, cleanupTemps, exePath, root, tempDir } from './util.js';

afterEach(cleanupTemps);

describe('the reaper warning as PID 1', () => {
  it("executable without Bun's FFI: says so, recommends docker run --init, never an addon or a compiler", () => {
    const r = asPid1([...denyWriteExecute, exePath], appConfdir());
    expect(r.stderr).not.toContain('prctl');
    expect(r.stderr.match(/reaper:/g)).toHaveLength(1);
    expect(r.stderr).toContain("reaper: cannot call waitpid through Bun's FFI (libc.so.6: bun:ffi requires the JIT)");
    expect(r.stderr).toContain('will stay zombies; run the container with `docker run --init`');
    expect(r.stderr).not.toMatch(/addon|build\.mjs|compiler|node /);
    expect(r.status).toBe(4);
  });

  it('Node without the addon: names the build script that is there, and docker run --init', () => {
    const copy = tempDir('keyplate-no-addon-');
    cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    mkdirSync(path.join(copy, 'native', 'reaper'), { recursive: true });
    for (const file of ['build.mjs', 'reaper.c', 'binding.gyp']) cpSync(path.join(root, 'native', 'reaper', file), path.join(copy, 'native', 'reaper', file));
    const r = asPid1([process.execPath, path.join(copy, 'dist', 'keyplate.cjs')], appConfdir());
    expect(r.stderr.match(/reaper:/g)).toHaveLength(1);
    const script = path.join(copy, 'native', 'reaper', 'build.mjs');
    expect(r.stderr).toContain(`build the addon with \`node ${script}\` (needs python3, make and a C compiler)`);
    expect(existsSync(script)).toBe(true);
    expect(r.stderr).toContain('`docker run --init`');
    expect(r.status).toBe(4);
  });
});
