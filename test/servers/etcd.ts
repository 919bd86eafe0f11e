// Real etcd servers for the backend tests: one member or a three-member cluster on free loopback ports, in temp dirs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Files for a TLS-only etcd; clients must present a certificate signed by `ca` when `clientCertAuth` is set. */
export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
  clientCertAuth?: boolean;
}

export interface EtcdMember {
  readonly name: string;
  /** `http://127.0.0.1:<port>` (https with TLS). */
  readonly endpoint: string;
  readonly running: boolean;
  /** SIGKILL, as a crash would: nothing is flushed or said goodbye. */
  kill(): Promise<void>;
  /** Start again with the same data dir and ports; resolves once the member answers /health (when `waitHealthy`). */
  restart(options?: { waitHealthy?: boolean }): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung VM or a partition, as a client sees it (connections stay open, nothing answers). */
  freeze(): void;
  thaw(): void;
}

export interface EtcdServer {
  readonly members: EtcdMember[];
  /** Client endpoints in member order. */
  readonly endpoints: string[];
  /** Kill every member and delete the data dirs. */
  stop(): Promise<void>;
}

export interface StartOptions {
  tls?: EtcdTls;
  /** Shorter than etcd's defaults so that elections after a kill take well under a second on loopback. */
  heartbeatMs?: number;
  electionMs?: number;
}

const installHint = 'run `bash scripts/install-etcd.sh` (installs Debian\'s etcd-server), or put an etcd 3.4+ binary on PATH / in $ETCD_BIN';

/** The etcd binary: $ETCD_BIN, else the first `etcd` on PATH. */
export function etcdBinary(): string {
  const candidates = process.env.ETCD_BIN
    ? [process.env.ETCD_BIN]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'etcd'));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  throw new Error(`etcd binary not found (${process.env.ETCD_BIN ? `$ETCD_BIN=${process.env.ETCD_BIN}` : 'not on PATH'}): ${installHint}`);
}

/** Ports the OS says are free right now; all are held open together so that no two are the same. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const live = new Set<ChildProcess>();
// A test run that dies must not leave etcd processes behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One etcd process. */
export async function startEtcd(options: StartOptions = {}): Promise<EtcdServer> {
  return startCluster(1, options);
}

/** A cluster of `size` members (3 by default) that elect a leader before this resolves. */
export async function startEtcdCluster(size = 3, options: StartOptions = {}): Promise<EtcdServer> {
  return startCluster(size, options);
}

async function startCluster(size: number, options: StartOptions): Promise<EtcdServer> {
  const binary = etcdBinary();
  const root = mkdtempSync(path.join(os.tmpdir(), 'keyplate-etcd-'));
  const ports = await freePorts(size * 2);
  const clientScheme = options.tls ? 'https' : 'http';
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `${clientScheme}://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: path.join(root, `m${i}`),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const token = path.basename(root);

  const members = specs.map((spec) => {
    const args = [
      '--name', spec.name,
      '--data-dir', spec.dataDir,
      '--listen-client-urls', spec.clientUrl,
      '--advertise-client-urls', spec.clientUrl,
      '--listen-peer-urls', spec.peerUrl,
      '--initial-advertise-peer-urls', spec.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', token,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', String(options.heartbeatMs ?? 50),
      '--election-timeout', String(options.electionMs ?? 500),
      '--logger', 'zap',
      '--log-level', 'warn',
      '--log-outputs', 'stderr',
    ];
    if (options.tls) {
      args.push('--cert-file', options.tls.cert, '--key-file', options.tls.key, '--trusted-ca-file', options.tls.ca);
      if (options.tls.clientCertAuth) args.push('--client-cert-auth');
    }
    return new Member(binary, spec.name, spec.clientUrl, args, options.tls);
  });

  const server: EtcdServer = {
    members,
    endpoints: members.map((m) => m.endpoint),
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    // Members of a new cluster wait for each other, so start them all before waiting for any.
    await Promise.all(members.map((m) => m.restart({ waitHealthy: false })));
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

class Member implements EtcdMember {
  private child: ChildProcess | undefined;
  /** The last lines etcd wrote, for the error when it does not come up. */
  private log: string[] = [];

  constructor(
    private readonly binary: string,
    readonly name: string,
    readonly endpoint: string,
    private readonly args: string[],
    private readonly tls: EtcdTls | undefined,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  async restart({ waitHealthy = true }: { waitHealthy?: boolean } = {}): Promise<void> {
    if (this.child) throw new Error(`etcd member ${this.name} is already running`);
    const child = spawn(this.binary, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    live.add(child);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.log.push(...chunk.split('\n').filter(Boolean));
      this.log = this.log.slice(-20);
    });
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = undefined;
    });
    child.once('error', (error) => this.log.push(`spawn failed: ${error.message}`));
    if (waitHealthy) await this.waitHealthy();
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** Until /health says the member has a leader and can serve a read. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error(`etcd member ${this.name} exited while starting:\n${this.log.join('\n')}`);
      if (await this.healthy()) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd member ${this.name} (${this.endpoint}) not healthy after ${timeoutMs}ms:\n${this.log.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private healthy(): Promise<boolean> {
    const url = `${this.endpoint}/health`;
    return new Promise((resolve) => {
      const done = (ok: boolean) => resolve(ok);
      const onResponse = (res: http.IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => done(res.statusCode === 200 && body.includes('"health":"true"')));
        res.on('error', () => done(false));
      };
      const request = this.tls
        ? https.get(url, { ca: read(this.tls.ca), cert: read(this.tls.cert), key: read(this.tls.key), timeout: 2_000 }, onResponse)
        : http.get(url, { timeout: 2_000 }, onResponse);
      request.on('error', () => done(false));
      request.on('timeout', () => request.destroy());
    });
  }
}

function read(file: string): Buffer {
  return readFileSync(file);
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing here: trusting only it must fail. */
  otherCa: string;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyplate-pki-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', ...newKey, '-keyout', file(`${ca}.key`), '-out', file(`${ca}.crt`), '-days', '2', '-subj', `/CN=keyplate test ${ca}`);
  }
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl('req', ...newKey, '-keyout', file(`${who}.key`), '-out', file(`${who}.csr`), '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'keyplate'}`);
    openssl('x509', '-req', '-in', file(`${who}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', file(`${who}.crt`), '-days', '2', '-extfile', file(`${who}.ext`));
  }
  return {
    dir,
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.crt'),
  };
}
