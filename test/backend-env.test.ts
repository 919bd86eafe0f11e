// The env backend through the same conformance suite as etcd and Consul, plus its own mapping rules.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvBackend, keyToVariable, variableToKey } from '../backends/env.js';
import { BackendError, type Backend } from '../backends/types.js';
import { backendConformance } from './conformance.js';
import { mirrorOf, whileWatching } from './lifecycle.js';
import { cleanupTemps, tempDir, waitFor } from './util.js';

// The process environment cannot change under a running keyplate, so the backend reads it once; the fixture
// gives each read a fresh backend over the current variables, which is what a new keyplate process would see.
const variables: NodeJS.ProcessEnv = {};
backendConformance('env', async () => {
  const fresh = (): Backend => createEnvBackend({ nodes: [], envFiles: [], environment: { ...variables } });
  const backend: Backend = {
    name: 'env',
    canChange: false,
    getValues: (prefixes) => fresh().getValues(prefixes),
    watch: (prefixes, options) => fresh().watch(prefixes, options),
    hintForKey: (key) => fresh().hintForKey!(key),
    close: fresh().close,
  };
  return {
    backend,
    put: async (key, value) => void (variables[keyToVariable(key)] = value),
    del: async (key) => void delete variables[keyToVariable(key)],
    clear: async () => {
      for (const name of Object.keys(variables)) delete variables[name];
    },
  };
}, undefined, { canChange: false });

afterEach(cleanupTemps);

describe('env backend mapping', () => {
  it.each([
    ['/database/host', 'DATABASE_HOST'],
    ['/myapp/database/port', 'MYAPP_DATABASE_PORT'],
    ['database/user/', 'DATABASE_USER'],
    ['/', ''],
  ])('%s ↔ %s', (key, variable) => expect(keyToVariable(key)).toBe(variable));

  it('variables map back to lower-case keys with every `_` as `/`', () => {
    expect(variableToKey('UPSTREAM_APP1')).toBe('/upstream/app1');
  });

  it('names the variable to set for a missing key', () => {
    const backend = createEnvBackend({ nodes: [], envFiles: [], environment: {} });
    expect(backend.hintForKey!('/myapp/db/port')).toBe('set MYAPP_DB_PORT');
  });

  it('env files fill in; the real environment wins; earlier files win over later ones', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.env'), 'APP_X=from-a\nAPP_Y=from-a\n');
    writeFileSync(path.join(dir, 'b.env'), 'APP_Y=from-b\nAPP_Z="quoted # not a comment"\n');
    const backend = createEnvBackend({ nodes: [], envFiles: [path.join(dir, 'a.env'), path.join(dir, 'b.env')], environment: { APP_X: 'real' } });
    expect(Object.fromEntries(await backend.getValues(['/app']))).toEqual({ '/app/x': 'real', '/app/y': 'from-a', '/app/z': 'quoted # not a comment' });
  });

  it('prefixes match at `_` boundaries among thousands of variables, overlapping prefixes once, repeat reads alike', async () => {
    const environment: NodeJS.ProcessEnv = { KEY: 'k', KEY_A: 'a', KEY_A_B: 'ab', KEYSTONE: 'no', KEY0: 'no', KEZ: 'no', KE: 'no', DB_HOST: 'h' };
    for (let i = 0; i < 3000; i++) environment[`SVC${i}_SERVICE_HOST`] = `10.0.${i >> 8}.${i & 255}`;
    const backend = createEnvBackend({ nodes: [], envFiles: [], environment });
    const want = { '/key': 'k', '/key/a': 'a', '/key/a/b': 'ab', '/db/host': 'h', '/svc42/service/host': '10.0.0.42' };
    for (let read = 0; read < 2; read++) {
      expect(Object.fromEntries(await backend.getValues(['/key', '/key/a', '/db', '/svc42']))).toEqual(want);
    }
    expect((await backend.getValues(['/'])).size).toBe(Object.keys(environment).length);
    expect((await backend.getValues(['/nothing'])).size).toBe(0);
  });

  it('an unreadable env file is a BackendError naming it', async () => {
    const backend = createEnvBackend({ nodes: [], envFiles: ['/nope/x.env'], environment: {} });
    await expect(backend.getValues(['/app'])).rejects.toThrow(BackendError);
    await expect(createEnvBackend({ nodes: [], envFiles: ['/nope/x.env'], environment: {} }).getValues(['/app'])).rejects.toThrow(/\[env\] \/nope\/x\.env: cannot read the env file/);
  });
});

describe('env backend watch', () => {
  it('cannot change by itself: one reset, then a fresh reset after each edit of an env file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'dev.env');
    writeFileSync(file, 'APP_PORT=1\n');
    const backend = createEnvBackend({ nodes: [], envFiles: [file], environment: { APP_HOST: 'h' } });
    expect(backend.canChange).toBe(false);
    await whileWatching(backend, ['/app'], async ({ events }) => {
      await waitFor(() => events.length === 1, 5_000, 'first reset');
      expect(mirrorOf(events)).toEqual({ '/app/host': 'h', '/app/port': '1' });
      writeFileSync(file, 'APP_PORT=2\nAPP_NAME=x\n');
      await waitFor(() => mirrorOf(events)['/app/port'] === '2', 5_000, 'edit');
      expect(mirrorOf(events)).toEqual({ '/app/host': 'h', '/app/name': 'x', '/app/port': '2' });
      expect(events.every((e) => e.kind === 'reset')).toBe(true);
    });
  });

  it('a file that cannot be read is a permanent outage, named; fixing the file brings it back', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'dev.env');
    writeFileSync(file, 'APP_PORT=1\n');
    const backend = createEnvBackend({ nodes: [], envFiles: [file], environment: {} });
    await whileWatching(backend, ['/app'], async ({ events }) => {
      await waitFor(() => events.length === 1, 5_000, 'first reset');
      rmSync(file);
      mkdirSync(file); // a directory where the file was: EISDIR, which only the user can fix
      await waitFor(() => events.some((e) => e.kind === 'status'), 5_000, 'status down');
      const down = events.find((e) => e.kind === 'status');
      expect(down).toMatchObject({ kind: 'status', up: false });
      const error = (down as { error?: Error }).error as BackendError;
      expect(error).toBeInstanceOf(BackendError);
      expect(error.permanent).toBe(true);
      expect(error.message).toMatch(/\[env\] .*dev\.env: cannot read the env file \(EISDIR\)/);
      rmSync(file, { recursive: true });
      writeFileSync(file, 'APP_PORT=3\n');
      await waitFor(() => mirrorOf(events)['/app/port'] === '3', 5_000, 'fixed');
      expect(events.filter((e) => e.kind === 'status').map((e) => (e as { up: boolean }).up)).toEqual([false, true]);
    });
  });
});
