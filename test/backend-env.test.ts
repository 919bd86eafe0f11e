// The env backend through the same conformance suite as etcd and Consul, plus its own mapping rules.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvBackend, keyToVariable, variableToKey } from '../backends/env.js';
import { BackendError, type Backend } from '../backends/types.js';
import { backendConformance } from './conformance.js';
import { cleanupTemps, tempDir } from './util.js';

// The process environment cannot change under a running keyplate, so the backend reads it once; the fixture
// gives each read a fresh backend over the current variables, which is what a new keyplate process would see.
const variables: NodeJS.ProcessEnv = {};
backendConformance('env', async () => {
  const fresh = (): Backend => createEnvBackend({ nodes: [], envFiles: [], environment: { ...variables } });
  const backend: Backend = {
    name: 'env',
    getValues: (prefixes) => fresh().getValues(prefixes),
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
}, undefined, { canWatch: false });

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
