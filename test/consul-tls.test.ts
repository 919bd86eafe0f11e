// The Consul backend over HTTPS against real Consul agents: CA verification, --client-insecure, client certificates, and the CLI.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConsulBackend } from '../backends/consul.js';
import { BackendError, type BackendOptions, type WatchEvent } from '../backends/types.js';
import type { ConsulAgent } from './servers/consul.js';
import { makeTestPki, type TestPki } from './servers/etcd.js';
import { useConsul, watchSeesPut, whileWatching } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, runCli } from './util.js';

/** A value that must never show up in an error message. */
const secret = 's3cret-kv-value-not-for-logs';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => {
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const options = (agent: ConsulAgent, extra: Partial<BackendOptions> = {}): BackendOptions => ({
  nodes: [agent.address],
  envFiles: [],
  environment: {},
  scheme: 'https',
  retryMin: 50,
  retryMax: 400,
  ...extra,
});

async function read(opts: BackendOptions, prefixes: string[]): Promise<Map<string, string>> {
  const backend = createConsulBackend(opts);
  try {
    return await backend.getValues(prefixes);
  } finally {
    await backend.close();
  }
}

/** The error a read fails with: a BackendError that names the backend and the address and holds no value. */
async function readError(opts: BackendOptions, prefixes: string[], address: string): Promise<Error> {
  const error: unknown = await read(opts, prefixes).then(
    () => new Error('the read unexpectedly succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendError);
  const message = (error as Error).message;
  expect(message).toMatch(/^\[consul\] /);
  expect(message).toContain(address);
  expect(message).not.toContain(secret);
  return error as Error;
}

describe('consul over https: server verification', () => {
  const ctx = useConsul(() => ({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey } }), { seed: { '/app/db/host': '10.0.0.1', '/app/db/password': secret } });
  afterEach(cleanupTemps);

  it('reads (one prefix and a transaction over several) with the right CA', async () => {
    const opts = options(ctx.agent, { clientCaKeys: pki.ca });
    expect(await read(opts, ['/app/db'])).toEqual(new Map([['/app/db/host', '10.0.0.1'], ['/app/db/password', secret]]));
    expect(await read(opts, ['/app/db/host', '/app/db/password'])).toEqual(new Map([['/app/db/host', '10.0.0.1'], ['/app/db/password', secret]]));
  });

  it('also takes the node as an https:// URL without --scheme', async () => {
    const opts = options(ctx.agent, { nodes: [`https://${ctx.agent.address}`], scheme: undefined, clientCaKeys: pki.ca });
    expect((await read(opts, ['/app/db'])).get('/app/db/host')).toBe('10.0.0.1');
  });

  it('watches with blocking queries over https', async () => {
    await watchSeesPut(createConsulBackend(options(ctx.agent, { clientCaKeys: pki.ca })), () => ctx.agent.put('/app/web/port', '8443'), ['/app/web/port', '8443'], ['/app/db/host', '10.0.0.1']);
  });

  it('refuses a server certificate from an unknown CA, naming the address, without any value', async () => {
    const error = await readError(options(ctx.agent, { clientCaKeys: pki.otherCa }), ['/app/db'], ctx.agent.address);
    expect(error.message).toMatch(/certificate|UNABLE_TO_VERIFY|CERT_/i);
    // The same through a transaction (several prefixes).
    await readError(options(ctx.agent, { clientCaKeys: pki.otherCa }), ['/app/db/host', '/app/db/password'], ctx.agent.address);
  });

  it('refuses the test CA when no CA is given (the system roots do not trust it)', async () => {
    const error = await readError(options(ctx.agent), ['/app/db'], ctx.agent.address);
    expect(error.message).toMatch(/certificate|UNABLE_TO_VERIFY|CERT_/i);
  });

  it('a watch against an unknown CA reports the connection down, never a reset', async () => {
    const backend = createConsulBackend(options(ctx.agent, { clientCaKeys: pki.otherCa, retryTimeout: 300 }));
    await whileWatching(backend, ['/app'], async ({ events, failure }) => {
      const error = await failure();
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toContain(ctx.agent.address);
      expect((error as Error).message).not.toContain(secret);
      expect(events.some((e) => e.kind === 'reset' || e.kind === 'put')).toBe(false);
      const down = events.find((e): e is Extract<WatchEvent, { kind: 'status' }> => e.kind === 'status');
      expect(down?.up).toBe(false);
      expect(down?.error?.message).toMatch(/^\[consul\] /);
      expect(down?.error?.message).not.toContain(secret);
    });
  });

  it('clientInsecure skips verification: an unknown CA, or none, then reads', async () => {
    expect((await read(options(ctx.agent, { clientCaKeys: pki.otherCa, clientInsecure: true }), ['/app/db'])).get('/app/db/host')).toBe('10.0.0.1');
    expect((await read(options(ctx.agent, { clientInsecure: true }), ['/app/db'])).get('/app/db/host')).toBe('10.0.0.1');
  });

  it('names the file and the address when the CA file cannot be read', async () => {
    const missing = path.join(pki.dir, 'no-such-ca.crt');
    const error = await readError(options(ctx.agent, { clientCaKeys: missing }), ['/app/db'], ctx.agent.address);
    expect(error.message).toContain('--client-ca-keys');
    expect(error.message).toContain(missing);
  });

  it('CLI: --scheme https --client-ca-keys renders a file from a key with --onetime', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app/db"]\n',
      'templates/app.tmpl': 'host={{getv "/app/db/host"}}\n',
    });
    const args = ['--backend', 'consul', '--node', ctx.agent.address, '--scheme', 'https', '--confdir', dir, '--onetime'];
    const r = await runCli([...args, '--client-ca-keys', pki.ca], { env: baseEnv(), cwd: dir });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=10.0.0.1\n');

    // The wrong CA: --onetime waits for an unreachable backend until --backend-retry-timeout, then exits 1 with a
    // message naming the address, and the password is never printed.
    const bad = await runCli([...args, '--client-ca-keys', pki.otherCa, '--backend-retry-timeout', '1s'], { env: baseEnv(), cwd: dir });
    expect(bad.signal).toBeNull();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[consul\] .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(bad.stderr).toContain(ctx.agent.address);
    expect(bad.stderr + bad.stdout).not.toContain(secret);
  });
});

describe('consul over https: client certificates (verify_incoming_https)', () => {
  const ctx = useConsul(
    () => ({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey, verifyIncoming: true, clientCert: pki.clientCert, clientKey: pki.clientKey } }),
    { seed: { '/app/db/host': '10.0.0.2', '/app/db/password': secret } },
  );

  it('refuses a client without a certificate, naming the address, without any value', async () => {
    await readError(options(ctx.agent, { clientCaKeys: pki.ca }), ['/app/db'], ctx.agent.address);
  });

  it('refuses a client without a certificate even with clientInsecure (that skips only server verification)', async () => {
    await readError(options(ctx.agent, { clientInsecure: true }), ['/app/db'], ctx.agent.address);
  });

  it('reads and watches with a good client certificate', async () => {
    const opts = options(ctx.agent, { clientCaKeys: pki.ca, clientCert: pki.clientCert, clientKey: pki.clientKey });
    expect(await read(opts, ['/app/db'])).toEqual(new Map([['/app/db/host', '10.0.0.2'], ['/app/db/password', secret]]));
    expect(await read(opts, ['/app/db/host', '/app/db/password'])).toEqual(new Map([['/app/db/host', '10.0.0.2'], ['/app/db/password', secret]]));
    await watchSeesPut(createConsulBackend(opts), () => ctx.agent.put('/app/web/port', '9443'), ['/app/web/port', '9443'], ['/app/db/host', '10.0.0.2']);
  });
});
