// The musl executable (exe/keyplate-linux-x64-musl, for Alpine), run by musl's loader on an Alpine-like root file
// system that scripts/musl-rootfs.sh builds from Debian's musl, GCC's libstdc++ linked on musl and busybox (no
// Alpine package is reachable from this project's machines). `ld-musl-x86_64.so.1 --library-path <rootfs libs>
// exe` runs it without a chroot; scripts/docker-e2e.sh runs it as the entrypoint of an image made from that tree.
// The set-up builds what it needs: the musl executable from the current source, then the tree (cached).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRendered, followsOnePut, startExe } from './exe-scenarios.js';
import { useConsul, useEtcd } from './lifecycle.js';
import { makeTestPki, startEtcd, type EtcdServer, type TestPki } from './servers/etcd.js';
import { asPid1, denyWriteExecute } from './pid1.js';
import { appConfdir, exePath, makeConfdir, root } from './util.js';

const muslExe = path.join(root, 'exe', 'keyplate-linux-x64-musl');
let loader: string[];

beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build-exe.mjs', '--target', 'linux-x64-musl'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build-exe.mjs --target linux-x64-musl failed:\n${build.stderr}`);
  const rootfs = spawnSync('bash', ['scripts/musl-rootfs.sh', muslExe], { cwd: root, encoding: 'utf8' });
  if (rootfs.status !== 0) throw new Error(`scripts/musl-rootfs.sh failed:\n${rootfs.stderr}`);
  const dir = rootfs.stdout.trim();
  loader = [path.join(dir, 'lib', 'ld-musl-x86_64.so.1'), '--library-path', path.join(dir, 'usr', 'lib'), muslExe];
}, 120_000);

/** keyplate-linux-x64-musl through musl's loader (or `command`), with a clean environment plus `env`. */
function run(args: string[], env: Record<string, string> = {}, command = loader) {
  return startExe(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, KEYPLATE_CACHE_DIR: 'off', ...env } });
}

const toml = (src: string) => `[template]\nsrc = "${src}"\ndest = "out/${src}"\nprefix = "/app"\nkeys = ["/upstream"]\n`;

describe('the musl executable on musl (Alpine-like root file system)', () => {
  it('is linked against musl, and runs --version', async () => {
    expect(readFileSync(muslExe).includes('/lib/ld-musl-x86_64.so.1')).toBe(true);
    const r = await run(['--version']).exited;
    expect(r.stdout).toMatch(/^keyplate \d+\.\d+\.\d+/);
    expect(r.code).toBe(0);
  });

  it('renders with --onetime from env, Handlebars and a confd Go template, with a check_cmd', async () => {
    const dir = makeConfdir({
      'conf.d/hb.toml': `${toml('hb')}check_cmd = "grep -q a= {{src}}"\n`,
      'templates/hb': '{{#each (gets "/upstream/*")}}{{base key}}={{value}}\n{{/each}}',
      'conf.d/go.toml': toml('go'),
      'templates/go': '{{range gets "/upstream/*"}}{{base .Key}} {{.Value}}\n{{end}}{{printf "%05.1f" 3.14159}}\n',
    });
    const r = await run(['--onetime', '--confdir', dir], { APP_UPSTREAM_A: '10.0.0.1', APP_UPSTREAM_B: '10.0.0.2' }).exited;
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/hb'), 'utf8')).toBe('a=10.0.0.1\nb=10.0.0.2\n');
    expect(readFileSync(path.join(dir, 'out/go'), 'utf8')).toBe('a 10.0.0.1\nb 10.0.0.2\n003.1\n');
  });

  it("as PID 1 reaps orphaned zombies through Bun's FFI on musl's libc, and keeps the command's exit code", async () => {
    const dir = makeConfdir({ 'conf.d/go.toml': toml('go'), 'templates/go': '{{getv "/upstream/a"}}\n' });
    const script = [
      '(sleep 0.2 & sleep 0.3 & exit 0)', // orphans, re-parented to PID 1 (keyplate) when the subshell exits
      'sleep 1',
      'for s in /proc/[0-9]*/stat; do set -- $(cat $s 2>/dev/null); [ "$4" = 1 ] && [ "$3" = Z ] && echo "zombie $1"; done',
      'echo "pid1=$(cat /proc/1/comm)"',
      'exit 5',
    ].join('; ');
    const unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...loader, '--onetime', '--confdir', dir, '--', 'sh', '-c', script], {
      env: { PATH: process.env.PATH, KEYPLATE_CACHE_DIR: 'off', APP_UPSTREAM_A: '1' },
    });
    let stdout = '';
    let stderr = '';
    unshare.stdout.on('data', (c: Buffer) => (stdout += c));
    unshare.stderr.on('data', (c: Buffer) => (stderr += c));
    const code = await new Promise((resolve) => unshare.on('close', resolve));
    expect(stderr).not.toMatch(/reaper:/);
    expect(stdout).toContain('pid1=ld-musl-x86_64'); // keyplate's process (started by musl's loader), not a shell
    expect(stdout).not.toMatch(/zombie/);
    expect(code).toBe(5);
  });

  it("as PID 1 without Bun's FFI (no JIT), warns once and recommends docker run --init, never an addon", () => {
    const r = asPid1([...denyWriteExecute, ...loader], appConfdir());
    expect(r.stderr.match(/reaper:/g)).toHaveLength(1);
    expect(r.stderr).toContain("reaper: cannot call waitpid through Bun's FFI (libc.so.6: bun:ffi requires the JIT)");
    expect(r.stderr).toContain('run the container with `docker run --init`');
    expect(r.stderr).not.toMatch(/addon|build\.mjs|compiler/);
    expect(r.status).toBe(4);
  });
});

describe('the musl executable on musl, against etcd (gRPC)', () => {
  const ctx = useEtcd();
  it('renders, follows a put in watch mode, and stops on SIGTERM with exit 0', async () => {
    await ctx.client.put('/app/upstream/a').value('10.0.0.1');
    const dir = makeConfdir({ 'conf.d/go.toml': toml('go'), 'templates/go': '{{range gets "/upstream/*"}}{{base .Key}} {{.Value}}\n{{end}}' });
    const kp = run(['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '20ms']);
    await followsOnePut(kp, path.join(dir, 'out/go'), ['a 10.0.0.1\n', 'a 10.0.0.1\nb 10.0.0.2\n'], () => ctx.client.put('/app/upstream/b').value('10.0.0.2'));
  });
});

describe('the musl executable on musl, against Consul', () => {
  const ctx = useConsul({}, { seed: { 'app/upstream/a': '10.0.0.1' } });
  it('renders with --onetime', async () => {
    const dir = makeConfdir({ 'conf.d/go.toml': toml('go'), 'templates/go': '{{range gets "/upstream/*"}}{{base .Key}} {{.Value}}\n{{end}}' });
    const r = await run(['--onetime', '--backend', 'consul', '--node', ctx.agent.address, '--confdir', dir]).exited;
    expectRendered(r, path.join(dir, 'out/go'), 'a 10.0.0.1\n');
  });
});

// Both executables: Bun refuses an IP address as a TLS server name, which grpc-js sets from the node, so etcd over
// TLS at https://127.0.0.1:… failed every handshake until scripts/lib/exe-bundle.mjs stopped grpc-js setting it.
describe('both executables against etcd over TLS at an IP address, with a client certificate', () => {
  let pki: TestPki;
  let server: EtcdServer;
  beforeAll(async () => {
    pki = makeTestPki();
    server = await startEtcd({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey, clientCertAuth: true } });
    const writer = new Etcd3({
      hosts: server.endpoints,
      credentials: { rootCertificate: readFileSync(pki.ca), certChain: readFileSync(pki.clientCert), privateKey: readFileSync(pki.clientKey) },
    });
    await writer.put('/app/upstream/a').value('10.0.0.1');
    writer.close();
  });
  afterAll(async () => {
    await server?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it.each(['glibc', 'musl'])('%s: renders with --onetime; a server certificate from another CA is refused, exit 1', async (libc) => {
    const command = libc === 'musl' ? loader : [exePath];
    const dir = makeConfdir({ 'conf.d/go.toml': toml('go'), 'templates/go': '{{getv "/upstream/a"}}\n' });
    const args = ['--onetime', '--backend', 'etcd', '--node', server.endpoints[0], '--confdir', dir, '--client-cert', pki.clientCert, '--client-key', pki.clientKey];
    const r = await run([...args, '--client-ca-keys', pki.ca, '--backend-retry-timeout', '5s'], {}, command).exited;
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/go'), 'utf8')).toBe('10.0.0.1\n');
    const bad = await run([...args, '--client-ca-keys', pki.otherCa, '--backend-retry-timeout', '5s'], {}, command).exited;
    expect(bad.stderr).toContain(`cannot read /app/upstream at ${server.endpoints[0]}: TLS handshake failed (unable to verify the first certificate)`);
    expect(bad.code).toBe(1);
  });
});
