// Real Consul agents for the tests: a `-dev` agent, or a one-server cluster whose data survives kill and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsulAgentOptions {
  /** `-server -bootstrap-expect=1 -data-dir`: slower to start than `-dev`, but keeps its data across a restart. */
  persistent?: boolean;
  /** Turn ACLs on (default deny, list permission enforced) with this management token. */
  aclToken?: string;
  /** Serve HTTPS only (no plain HTTP) on the agent's HTTP port, with these PEM files. */
  tls?: ConsulTlsOptions;
  /** Listen on IPv6 loopback too (`[::1]:port`), beside 127.0.0.1. */
  ipv6?: boolean;
}

export interface ConsulTlsOptions {
  /** CA that signed `cert`; with `verifyIncoming` also the only CA trusted for client certificates. */
  ca: string;
  cert: string;
  key: string;
  /** `verify_incoming_https`: refuse HTTPS clients without a certificate signed by `ca`. */
  verifyIncoming?: boolean;
  /** The certificate the helper's own calls (readiness, put, del) present; default `cert`, which then needs clientAuth. */
  clientCert?: string;
  clientKey?: string;
}

export interface ConsulAgent {
  /** HTTP address, `127.0.0.1:<port>` (HTTPS only, when started with `tls`). */
  address: string;
  /** The management token when ACLs are on. */
  token?: string;
  put(key: string, value: string): Promise<void>;
  /** Delete a key, or every key under it with `recurse`. Keys are keyplate's (`/app/x`) or Consul's (`app/x`). */
  del(key: string, recurse?: boolean): Promise<void>;
  /** SIGKILL the agent and wait until it is gone. */
  kill(): Promise<void>;
  /** Start the agent again on the same ports (and data dir, when persistent) and wait for a leader. */
  restart(): Promise<void>;
  /** Kill the agent and remove its directory. */
  stop(): Promise<void>;
}

const bundled = fileURLToPath(new URL('../../.servers/consul/usr/bin/consul', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function consulBinary(): string {
  const candidates = [bundled, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'consul'))];
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no Consul binary at ${bundled} or on PATH: run \`bash scripts/install-consul.sh\``);
}

/** Ports that were free a moment ago (held together, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function startConsul(options: ConsulAgentOptions = {}): Promise<ConsulAgent> {
  const binary = consulBinary();
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-consul-'));
  const [httpPort, serfLan, serverPort] = await freePorts(3);
  const address = `127.0.0.1:${httpPort}`;
  const token = options.aclToken;
  const tls = options.tls;
  const config = {
    // Consul 1.8 in -dev mode otherwise asks the internet for updates.
    disable_update_check: true,
    disable_host_node_id: true,
    ports: {
      ...(tls ? { http: -1, https: httpPort } : { http: httpPort, https: -1 }),
      dns: -1, grpc: -1, serf_wan: -1, serf_lan: serfLan, server: serverPort,
    },
    performance: { raft_multiplier: 1 },
    ...(tls ? { ca_file: tls.ca, cert_file: tls.cert, key_file: tls.key, verify_incoming_https: tls.verifyIncoming ?? false } : {}),
    ...(token ? { acl: { enabled: true, default_policy: 'deny', enable_key_list_policy: true, tokens: { master: token } } } : {}),
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const mode = options.persistent
    ? ['-server', '-bootstrap-expect=1', `-data-dir=${join(dir, 'data')}`, '-node=keyplate-test']
    : ['-dev'];
  const args = ['agent', ...mode, '-bind=127.0.0.1', options.ipv6 ? '-client=127.0.0.1 ::1' : '-client=127.0.0.1', `-config-file=${join(dir, 'config.json')}`];

  let child: ChildProcess | undefined;
  let log = '';
  // The helper's own requests: plain HTTP, or HTTPS trusting the test CA (and with a client certificate, which
  // `verify_incoming_https` demands of every caller).
  const transport: { request: typeof http.request } = tls ? https : http;
  const tlsRequest: https.RequestOptions = tls
    ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert ?? tls.cert), key: readFileSync(tls.clientKey ?? tls.key) }
    : {};

  async function start(): Promise<void> {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    const keep = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => running.delete(proc));
    await waitReady(proc);
  }

  /** A leader is elected and the KV store answers (with ACLs: once the management token exists). */
  async function waitReady(proc: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`consul agent exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${log}`);
      }
      const reply = await call('GET', 'kv/keyplate-test-ready-probe').catch(() => undefined);
      if (reply?.status === 404 && reply.headers['x-consul-knownleader'] === 'true') return;
      if (Date.now() > deadline) throw new Error(`consul agent at ${address} not ready after 30 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function call(method: string, path: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = transport.request(
        { ...tlsRequest, host: '127.0.0.1', port: httpPort, method, path: `/v1/${path}`, headers: token ? { 'x-consul-token': token } : {}, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function write(method: string, path: string, body?: string): Promise<void> {
    const reply = await call(method, path, body);
    if (reply.status !== 200) throw new Error(`consul ${method} ${path}: HTTP ${reply.status} ${reply.body}`);
  }

  const kvPath = (key: string): string => 'kv/' + key.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    address,
    token,
    put: (key, value) => write('PUT', kvPath(key), value),
    del: (key, recurse = false) => write('DELETE', kvPath(key) + (recurse ? '?recurse=true' : '')),
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CountingProxy {
  address: string;
  /** Requests received so far, including refused ones. */
  requests: number;
  /** Requests waiting for Consul's answer right now (a blocking query counts until it returns). */
  inFlight: number;
  /** While blocked, every request has its connection cut, as if the agent were unreachable. */
  blocked: boolean;
  close(): Promise<void>;
}

/** An HTTP proxy in front of a real agent, to count the requests a backend makes and to cut it off on demand. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const [host, port] = target.split(':');
  const sockets = new Set<import('node:net').Socket>();
  const proxy: CountingProxy = {
    address: '',
    requests: 0,
    inFlight: 0,
    blocked: false,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    proxy.requests++;
    if (proxy.blocked) {
      req.socket.destroy();
      return;
    }
    proxy.inFlight++;
    let counted = true;
    const done = (): void => {
      if (counted) proxy.inFlight--;
      counted = false;
    };
    const upstream = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers, agent: false }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
      reply.on('end', done);
    });
    upstream.on('error', () => {
      done();
      req.socket.destroy(); // the agent is gone: so is the connection
    });
    res.on('close', () => {
      done();
      upstream.destroy(); // the client gave up (an aborted watch): end the blocking query too
    });
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
