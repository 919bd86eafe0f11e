// The etcd backend against real etcd servers with password authentication and with TLS client certificates.
import { rmSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdBackend } from '../backends/etcd.js';
import { BackendError, type BackendOptions } from '../backends/types.js';
import { makeTestPki, startEtcd, type EtcdServer, type TestPki } from './servers/etcd.js';
import { mirrorOf, watchSeesPut, whileWatching } from './lifecycle.js';
import { baseEnv, cliPath, makeConfdir, waitFor } from './util.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

async function readError(options: BackendOptions, prefix: string): Promise<Error> {
  const backend = createEtcdBackend(options);
  try {
    const error: unknown = await backend.getValues([prefix]).then(
      () => new Error('the read unexpectedly succeeded'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    return error as Error;
  } finally {
    await backend.close();
  }
}

describe('etcd backend: username and password', () => {
  const password = 'pa55-not-in-any-message';
  let server: EtcdServer;
  let root: Etcd3;
  const base = (): BackendOptions => ({ nodes: server.endpoints, envFiles: [], retryMin: 50, retryMax: 400 });

  beforeAll(async () => {
    server = await startEtcd();
    const admin = new Etcd3({ hosts: server.endpoints });
    await admin.put('/app/db/host').value('10.0.0.1');
    await admin.put('/secret/key').value('hidden');
    await admin.role('root').create();
    await admin.user('root').create('root-pw');
    await admin.user('root').addRole('root');
    const reader = await admin.role('reader').create();
    await reader.grant({ permission: 'Read', range: admin.range({ prefix: '/app' }) });
    await reader.grant({ permission: 'Read', range: admin.range({ prefix: '/other' }) }); // /secret lies between
    await admin.user('keyplate').create(password);
    await admin.user('keyplate').addRole('reader');
    await admin.auth.authEnable({});
    admin.close();
    root = new Etcd3({ hosts: server.endpoints, auth: { username: 'root', password: 'root-pw' } });
  });
  afterAll(async () => {
    root?.close();
    await server?.stop();
  });

  it('reads and watches as a user with read access', async () => {
    const backend = createEtcdBackend({ ...base(), username: 'keyplate', password });
    try {
      expect(Object.fromEntries(await backend.getValues(['/app']))).toEqual({ '/app/db/host': '10.0.0.1' });
    } finally {
      await backend.close();
    }
    await watchSeesPut(createEtcdBackend({ ...base(), username: 'keyplate', password }), async () => void (await root.put('/app/db/port').value('5432')), ['/app/db/port', '5432']);
  });

  it('watches two prefixes the role grants, with keys between them it does not (one watcher per prefix then)', async () => {
    const backend = createEtcdBackend({ ...base(), username: 'keyplate', password });
    await whileWatching(backend, ['/app', '/other'], async ({ events }) => {
      await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
      await root.put('/other/x').value('1');
      await root.put('/secret/key').value('still hidden');
      await root.put('/app/y').value('2');
      // Two watchers: etcd orders events within one, not across them, so /other/x may arrive after /app/y.
      await waitFor(() => mirrorOf(events)['/app/y'] === '2' && mirrorOf(events)['/other/x'] === '1', 10_000, 'the puts under /app and /other');
      expect(mirrorOf(events)).toMatchObject({ '/other/x': '1', '/app/y': '2' });
      expect('/secret/key' in mirrorOf(events)).toBe(false);
      expect(events.filter((e) => e.kind === 'status')).toEqual([]);
    });
  });

  it('says what is wrong, never echoing the password', async () => {
    const wrong = await readError({ ...base(), username: 'keyplate', password: `${password}-typo` }, '/app');
    expect(wrong.message).toMatch(/^\[etcd\] cannot read \/app at http:\/\/127\.0\.0\.1:\d+: authentication failed for user `keyplate`; check the username and password$/);
    expect(wrong.message).not.toContain(password);

    const anonymous = await readError(base(), '/app');
    expect(anonymous.message).toMatch(/etcd requires authentication .*; set username and password$/);

    const denied = await readError({ ...base(), username: 'keyplate', password }, '/secret');
    expect(denied.message).toMatch(/permission denied for user `keyplate`; give it a role that may read these keys$/);
    expect(denied.message).not.toContain('hidden');
    // Retrying cannot help until the user changes the credentials or the role.
    expect([wrong, anonymous, denied].map((e) => (e as BackendError).permanent)).toEqual([true, true, true]);
  });
});

describe('etcd backend: TLS with client certificates', () => {
  let pki: TestPki;
  let server: EtcdServer;
  let writer: Etcd3;
  const tls = (): BackendOptions => ({
    nodes: server.endpoints,
    envFiles: [],
    clientCaKeys: pki.ca,
    clientCert: pki.clientCert,
    clientKey: pki.clientKey,
  });

  beforeAll(async () => {
    pki = makeTestPki();
    server = await startEtcd({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey, clientCertAuth: true } });
    const { readFileSync } = await import('node:fs');
    writer = new Etcd3({
      hosts: server.endpoints,
      credentials: { rootCertificate: readFileSync(pki.ca), certChain: readFileSync(pki.clientCert), privateKey: readFileSync(pki.clientKey) },
    });
    await writer.put('/app/tls').value('yes');
  });
  afterAll(async () => {
    writer?.close();
    await server?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('reads and watches over TLS, with https:// or bare host:port nodes', async () => {
    for (const nodes of [server.endpoints, server.endpoints.map((e) => e.replace('https://', ''))]) {
      const backend = createEtcdBackend({ ...tls(), nodes });
      try {
        expect(Object.fromEntries(await backend.getValues(['/app']))).toEqual({ '/app/tls': 'yes' });
      } finally {
        await backend.close();
      }
    }
    await watchSeesPut(createEtcdBackend(tls()), async () => void (await writer.put('/app/tls2').value('also')), ['/app/tls2', 'also']);
  });

  it('refuses a server its CA did not sign, unless clientInsecure skips verification', async () => {
    const untrusted = await readError({ ...tls(), clientCaKeys: pki.otherCa }, '/app');
    expect(untrusted.message).toMatch(/^\[etcd\] cannot read \/app at https:\/\/127\.0\.0\.1:\d+: /);

    const backend = createEtcdBackend({ ...tls(), clientCaKeys: pki.otherCa, clientInsecure: true });
    try {
      expect(Object.fromEntries(await backend.getValues(['/app']))).toMatchObject({ '/app/tls': 'yes' });
    } finally {
      await backend.close();
    }
  });

  it('node dist/keyplate.cjs with the node as an IP address: renders, and stderr stays keyplate\'s own JSON lines (no DEP0123 warning)', () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n', 'templates/a.tmpl': 'tls={{getv "/app/tls"}}\n' });
    const tlsFlags = ['--client-ca-keys', pki.ca, '--client-cert', pki.clientCert, '--client-key', pki.clientKey];
    const r = spawnSync(process.execPath, [cliPath, '--onetime', '--backend', 'etcd', '--node', server.endpoints[0], ...tlsFlags, '--confdir', dir, '--log-format', 'json'], { env: baseEnv(), encoding: 'utf8' });
    expect(server.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(r.stderr).not.toMatch(/DeprecationWarning|DEP0123/);
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('tls=yes\n');
  });

  it('advice a user can follow: the flags\' names for a wrong CA, https:// for an http:// node in front of TLS', () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n', 'templates/a.tmpl': 'tls={{getv "/app/tls"}}\n' });
    const run = (...args: string[]) => spawnSync(process.execPath, [cliPath, '--onetime', '--backend', 'etcd', '--confdir', dir, '--wait-timeout', '3s', ...args], { env: baseEnv(), encoding: 'utf8' });
    const wrongCa = run('--node', server.endpoints[0], '--client-ca-keys', pki.otherCa, '--client-cert', pki.clientCert, '--client-key', pki.clientKey);
    expect(wrongCa.stderr).toMatch(/TLS handshake failed .*check --client-ca-keys \(the CA that signed the server's certificate\), --client-cert and --client-key/);
    expect(wrongCa.stderr).not.toMatch(/clientCaKeys|clientCert|clientInsecure/);
    expect(wrongCa.status).toBe(1);
    const plain = run('--node', server.endpoints[0].replace('https://', 'http://'));
    expect(plain.stderr).toMatch(/if that etcd serves TLS, write the node as https:\/\//);
    expect(plain.status).toBe(1);
    // A missing key's etcdctl command carries the TLS files, or it would fail as written.
    const missingDir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n', 'templates/a.tmpl': '{{getv "/app/nope"}}\n' });
    const missing = spawnSync(process.execPath, [cliPath, '--onetime', '--backend', 'etcd', '--confdir', missingDir, '--wait-timeout', '2s', '--node', server.endpoints[0], '--client-ca-keys', pki.ca, '--client-cert', pki.clientCert, '--client-key', pki.clientKey], { env: baseEnv(), encoding: 'utf8' });
    expect(missing.stderr).toContain(`missing /app/nope (etcdctl --endpoints=${server.endpoints[0]} --cacert=${pki.ca} --cert=${pki.clientCert} --key=${pki.clientKey} put /app/nope <value>)`);
    expect(missing.status).toBe(3);
  });

  it('fails without a client certificate, and names a TLS file it cannot read', async () => {
    const noCert = await readError({ ...tls(), clientCert: undefined, clientKey: undefined }, '/app');
    expect(noCert.message).toMatch(/^\[etcd\] cannot read \/app at https:/);

    const missing = await readError({ ...tls(), clientCert: '/nonexistent/client.crt' }, '/app');
    expect(missing.message).toMatch(/^\[etcd\] cannot read --client-cert file \/nonexistent\/client\.crt: .*check the path/);
  });
});
