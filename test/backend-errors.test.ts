// Servers that are not what the user thinks: Consul with ACLs and no or a weak token, a --node that is not Consul
// or not etcd, and advice that depends on the error. Permanent errors say so (`permanent`), so that a --onetime
// run can end instead of waiting for keys it will never be allowed to read.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsulBackend } from '../backends/consul.js';
import { createEtcdBackend } from '../backends/etcd.js';
import { BackendError, type Backend, type BackendOptions } from '../backends/types.js';
import { useConsul, useEtcd, whileWatching } from './lifecycle.js';
import { waitFor } from './util.js';

const consulOptions = (address: string, extra: Partial<BackendOptions> = {}): BackendOptions => ({ nodes: [address], envFiles: [], environment: {}, ...extra });

async function errorOf(promise: Promise<unknown>): Promise<BackendError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BackendError);
  return error as BackendError;
}

/** The error of the first status-down event of a watch of `prefixes`. */
async function watchDown(backend: Backend, prefixes: string[]): Promise<BackendError> {
  let down: BackendError | undefined;
  await whileWatching(backend, prefixes, async ({ events }) => {
    await waitFor(() => events.some((e) => e.kind === 'status'), 10_000, 'status down');
    const first = events.find((e) => e.kind === 'status');
    expect(events.some((e) => e.kind === 'reset')).toBe(false);
    down = first?.kind === 'status' ? (first.error as BackendError) : undefined;
  });
  expect(down).toBeInstanceOf(BackendError);
  return down!;
}

describe('consul with ACLs: permission denied, named, permanent', () => {
  const ctx = useConsul({ aclToken: 'errors-root-token' }, { seed: { '/secret/db/password': 'p@sSw0rd-secret', '/secret/other/x': 'y' } });
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const api = (path: string, body: unknown) =>
      fetch(`http://${ctx.agent.address}/v1/acl/${path}`, { method: 'PUT', headers: { 'x-consul-token': ctx.agent.token! }, body: JSON.stringify(body) }).then((r) => r.json());
    // `read` without `list`: with enable_key_list_policy (as the test agent runs), a recursive read is refused.
    const policies = { elsewhere: 'key_prefix "elsewhere/" { policy = "list" }', readonly: 'key_prefix "secret/" { policy = "read" }' };
    for (const [policy, rules] of Object.entries(policies)) {
      await api('policy', { Name: policy, Rules: rules });
      tokens[policy] = ((await api('token', { Policies: [{ Name: policy }] })) as { SecretID: string }).SecretID;
    }
  });

  const cases: [string, () => Partial<BackendOptions>, RegExp][] = [
    ['no token', () => ({}), /permission denied \(HTTP 403\) with no token set/],
    ['a token for other keys', () => ({ token: tokens.elsewhere }), /permission denied \(HTTP 403\) for the token given/],
    ['a token that may read but not list', () => ({ environment: { CONSUL_HTTP_TOKEN: tokens.readonly } }), /permission denied \(HTTP 403\) for the token given/],
    ['a token Consul does not know', () => ({ token: 'no-such-token' }), /the token is not known to Consul \(HTTP 403, ACL not found\)/],
  ];
  for (const [what, extra, reason] of cases) {
    it(`${what}: getValues and the watch say so, name the key and --token / CONSUL_HTTP_TOKEN`, async () => {
      for (const prefixes of [['/secret/db'], ['/secret/db', '/secret/other']]) {
        const backend = createConsulBackend(consulOptions(ctx.agent.address, extra()));
        if (what.includes('not list') && prefixes.length > 1) {
          // A transaction needs only `read`, so this one-off read works; the watch's blocking queries need `list`.
          expect((await backend.getValues(prefixes)).size).toBe(2);
          const down = await watchDown(backend, prefixes);
          expect(down.message).toMatch(reason);
          expect(down.permanent).toBe(true);
          continue;
        }
        const error = await errorOf(backend.getValues(prefixes));
        expect(error.message).toMatch(new RegExp(`^\\[consul\\] reading secret/db.* at ${ctx.agent.address} failed: `));
        expect(error.message).toMatch(reason);
        expect(error.message).toMatch(/--token or CONSUL_HTTP_TOKEN/);
        expect(error.message).not.toContain('p@sSw0rd');
        expect(error.permanent).toBe(true);
        const down = await watchDown(backend, prefixes);
        expect(down.message).toMatch(reason);
        expect(down.permanent).toBe(true);
      }
    });
  }

  it('the policy a 403 names is one that works: a token made with it reads the keys', async () => {
    const error = await errorOf(createConsulBackend(consulOptions(ctx.agent.address)).getValues(['/secret/db']));
    const rules = /\((key_prefix "secret\/db" \{ policy = "list" \})\)/.exec(error.message)?.[1];
    expect(rules, error.message).toBeDefined();
    const api = (path: string, body: unknown) =>
      fetch(`http://${ctx.agent.address}/v1/acl/${path}`, { method: 'PUT', headers: { 'x-consul-token': ctx.agent.token! }, body: JSON.stringify(body) }).then((r) => r.json());
    await api('policy', { Name: 'from-the-advice', Rules: rules });
    const token = ((await api('token', { Policies: [{ Name: 'from-the-advice' }] })) as { SecretID: string }).SecretID;
    const backend = createConsulBackend(consulOptions(ctx.agent.address, { token }));
    expect(Object.fromEntries(await backend.getValues(['/secret/db']))).toEqual({ '/secret/db/password': 'p@sSw0rd-secret' });
    await backend.close();
  });

  it('a token that may list and read works (the same keys, the same agent)', async () => {
    const backend = createConsulBackend(consulOptions(ctx.agent.address, { token: ctx.agent.token }));
    expect(Object.fromEntries(await backend.getValues(['/secret/db', '/secret/other']))).toEqual({ '/secret/db/password': 'p@sSw0rd-secret', '/secret/other/x': 'y' });
    await backend.close();
  });
});

/** A local server on a free port for the test; `serve` answers each connection. */
function useServer(serve: (socket: net.Socket) => void): { address: string } {
  const ctx = { address: '' };
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      serve(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ctx.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return ctx;
}

describe('--node at a server that is not what the backend speaks', () => {
  const etcd = useEtcd();
  const consul = useConsul();
  const web = { address: '' };
  let webServer: http.Server;
  beforeAll(async () => {
    webServer = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
    webServer.listen(0, '127.0.0.1');
    await once(webServer, 'listening');
    web.address = `127.0.0.1:${(webServer.address() as net.AddressInfo).port}`;
  });
  afterAll(() => {
    webServer.closeAllConnections();
    return new Promise<void>((resolve) => webServer.close(() => resolve()));
  });
  const garbage = useServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));

  const targets: [string, () => string][] = [
    ["etcd's client port", () => etcd.etcd.endpoints[0].replace('http://', '')],
    ['a web server', () => web.address],
    ['a server that does not speak HTTP', () => garbage.address],
  ];
  for (const [what, address] of targets) {
    it(`consul at ${what}: "not a Consul agent", naming the node, permanent`, async () => {
      for (const prefixes of [['/app'], ['/app', '/db']]) {
        const backend = createConsulBackend(consulOptions(address()));
        const error = await errorOf(backend.getValues(prefixes));
        expect(error.message).toMatch(new RegExp(`^\\[consul\\] reading app.* at ${address().replace(/\./g, '\\.')} failed: the server there is not a Consul agent.*set --node to a Consul agent's HTTP address`));
        expect(error.permanent).toBe(true);
        const down = await watchDown(backend, prefixes);
        expect(down.message).toMatch(/is not a Consul agent/);
        expect(down.permanent).toBe(true);
      }
    });
  }

  it("etcd at Consul's HTTP port: the server does not speak etcd's gRPC API, naming the node, permanent", async () => {
    const backend = createEtcdBackend({ nodes: [consul.agent.address], envFiles: [] });
    const error = await errorOf(backend.getValues(['/app']));
    expect(error.message).toMatch(new RegExp(`^\\[etcd\\] cannot read /app at http://${consul.agent.address.replace(/\./g, '\\.')}: the server there does not speak etcd's gRPC API .*set --node to an etcd client URL`));
    expect(error.permanent).toBe(true);
    const down = await watchDown(backend, ['/app']);
    expect(down.message).toMatch(/does not speak etcd's gRPC API/);
    expect(down.permanent).toBe(true);
  });

  it('an etcd that is down is not permanent, and its advice does not blame --node alone', async () => {
    const [member] = etcd.etcd.members;
    const backend = createEtcdBackend({ nodes: etcd.etcd.endpoints, envFiles: [] });
    await member.kill();
    try {
      const error = await errorOf(backend.getValues(['/app']));
      expect(error.permanent).toBe(false);
      expect(error.message).toMatch(/check that etcd is running there/);
    } finally {
      await backend.close();
      await member.restart();
    }
  });
});

describe('consul restarted under a watch: advice that fits the error', () => {
  const ctx = useConsul();

  it('the status-down error says the agent closed the connection, not to change a --node that is right', async () => {
    const backend = createConsulBackend(consulOptions(ctx.agent.address));
    await whileWatching(backend, ['/app'], async ({ events }) => {
      await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
      await new Promise((r) => setTimeout(r, 100)); // the blocking query is in flight
      await ctx.agent.kill();
      await waitFor(() => events.some((e) => e.kind === 'status'), 10_000, 'status down');
      const down = events.find((e) => e.kind === 'status');
      const message = down?.kind === 'status' ? down.error?.message ?? '' : '';
      expect(message).toMatch(/the agent closed the connection \(restarting or stopping\?\); retrying/);
      expect(message).not.toMatch(/--node/);
      expect(down?.kind === 'status' && (down.error as BackendError).permanent).toBe(false);
      await ctx.agent.restart();
      await waitFor(() => events.filter((e) => e.kind === 'status').length === 2, 10_000, 'status up');
    });
  });

  it('nothing listening: ECONNREFUSED says to start the agent or fix --node, and is not permanent', async () => {
    const [port] = await (await import('./servers/consul.js')).freePorts(1);
    const backend = createConsulBackend(consulOptions(`127.0.0.1:${port}`));
    const error = await errorOf(backend.getValues(['/a']));
    expect(error.message).toMatch(/ECONNREFUSED: nothing accepts connections there; start the Consul agent, or set --node to the address it listens on/);
    expect(error.permanent).toBe(false);
    await backend.close();
  });
});
