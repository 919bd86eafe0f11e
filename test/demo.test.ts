// The container demo without a Docker engine: the compose file and Dockerfiles hold what the demo needs, and the demo
// confdir renders the expected nginx.conf through the built CLI from env, and from etcd and Consul filled by demo/seed.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startConsul, type ConsulAgent } from './servers/consul.js';
import { startEtcd, type EtcdServer } from './servers/etcd.js';
import { baseEnv, cleanupTemps, cliPath, root, runCli, tempDir } from './util.js';

const demo = path.join(root, 'demo');
const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');
const demoKeys: Record<string, string> = JSON.parse(read('demo/keys.json'));
const expected = read('demo/expected/nginx.conf');

// ---- A YAML reader for the subset docker-compose.yml is written in (no YAML dependency). --------------------------
// Block mappings and sequences by indentation, plain / quoted scalars, JSON-style flow sequences; anything else
// (anchors, multi-line strings, flow mappings, tabs) is an error, which keeps the file inside what this can check.
type Yaml = string | Yaml[] | { [key: string]: Yaml };
interface Line {
  n: number;
  indent: number;
  text: string;
}

function scalar(raw: string, n: number): Yaml {
  if (raw.startsWith('"')) return JSON.parse(raw) as string;
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith('[')) return JSON.parse(raw) as string[];
  if (/^[&*{|>!%@`]/.test(raw)) throw new Error(`docker-compose.yml:${n}: \`${raw}\` is outside the YAML subset this test reads`);
  return raw;
}

function stripComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function parseYamlSubset(text: string): Yaml {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`docker-compose.yml:${i + 1}: tab in indentation`);
    const body = stripComment(raw);
    if (body.trim() !== '') lines.push({ n: i + 1, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  let at = 0;
  const block = (indent: number): Yaml => {
    if (lines[at].text === '-' || lines[at].text.startsWith('- ')) {
      const items: Yaml[] = [];
      while (at < lines.length && lines[at].indent === indent && lines[at].text.startsWith('-')) {
        const rest = lines[at].text.slice(1).trimStart();
        if (/^[^"'[\s][^:]*:(\s|$)/.test(rest)) {
          // `- key: value` opens a mapping whose keys line up two columns in.
          lines[at] = { ...lines[at], indent: indent + 2, text: rest };
          items.push(block(indent + 2));
        } else {
          items.push(scalar(rest, lines[at].n));
          at++;
        }
      }
      return items;
    }
    const map: { [key: string]: Yaml } = {};
    while (at < lines.length && lines[at].indent === indent) {
      const { n, text: line } = lines[at];
      const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line);
      if (!m) throw new Error(`docker-compose.yml:${n}: expected \`key: value\`, got \`${line}\``);
      if (m[1] in map) throw new Error(`docker-compose.yml:${n}: duplicate key ${m[1]}`);
      at++;
      if (m[2] !== undefined) map[m[1]] = scalar(m[2], n);
      else if (at < lines.length && lines[at].indent > indent) map[m[1]] = block(lines[at].indent);
      else map[m[1]] = '';
    }
    if (at < lines.length && lines[at].indent > indent) throw new Error(`docker-compose.yml:${lines[at].n}: unexpected indentation`);
    return map;
  };
  const doc = block(0);
  if (at !== lines.length) throw new Error(`docker-compose.yml:${lines[at].n}: unexpected indentation`);
  return doc;
}

type Service = Record<string, any>;

/** Dockerfile instructions with continuation lines joined, comments dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The instructions of one named stage (`FROM … AS name`) up to the next FROM. */
function stage(dockerfile: string, name: string): string {
  const lines = instructions(dockerfile);
  const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`).test(l));
  if (start === -1) throw new Error(`no stage ${name} in the Dockerfile`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The last instruction of this kind in a stage, as written (shell form included). */
function lastInstruction(dockerfile: string, instruction: string): string {
  return instructions(dockerfile).filter((l) => l.startsWith(`${instruction} `)).at(-1) ?? '';
}

function execForm(dockerfile: string, instruction: 'ENTRYPOINT' | 'HEALTHCHECK'): string[] {
  const line = instructions(dockerfile).filter((l) => l.startsWith(`${instruction} `)).at(-1);
  const json = line && /\[.*\]$/.exec(line)?.[0];
  if (!json) throw new Error(`no exec-form ${instruction} in the Dockerfile`);
  return JSON.parse(json) as string[];
}

describe('docker-compose.yml', () => {
  const compose = parseYamlSubset(read('docker-compose.yml')) as Record<string, any>;
  const services = compose.services as Record<string, Service>;

  it('has etcd, Consul, the demo and a one-shot seeder', () => {
    expect(Object.keys(services).sort()).toEqual(['consul', 'demo', 'etcd', 'seed']);
    expect(services.etcd.image).toMatch(/^quay\.io\/coreos\/etcd:v3\.\d+\.\d+$/);
    expect(services.consul.image).toMatch(/^hashicorp\/consul:\d+\.\d+/);
    expect(services.seed.restart).toBe('no');
  });

  it('publishes every port on loopback only', () => {
    const published = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, (s.ports ?? []) as string[]]));
    expect(published).toEqual({
      etcd: ['127.0.0.1:2379:2379'],
      consul: ['127.0.0.1:8500:8500'],
      demo: ['127.0.0.1:8080:80', '127.0.0.1:9100:9100'],
      seed: [],
    });
  });

  it('gives the long-running services health checks, and starts the demo and seeder once etcd is healthy', () => {
    for (const name of ['etcd', 'consul', 'demo']) {
      const test = services[name].healthcheck?.test as string[];
      expect(test?.[0], `${name} healthcheck`).toBe('CMD');
      expect(test.length).toBeGreaterThan(1);
    }
    expect(services.etcd.healthcheck.test).toContain('endpoint');
    expect(services.demo.depends_on.etcd.condition).toBe('service_healthy');
    expect(services.seed.depends_on).toEqual({ etcd: { condition: 'service_healthy' }, consul: { condition: 'service_healthy' } });
  });

  it("checks the demo's health on the port its operations server listens on", () => {
    const port = (services.demo.environment.KEYPLATE_METRICS_ADDR as string).split(':').at(-1);
    expect(services.demo.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(services.demo.ports).toContain(`127.0.0.1:${port}:${port}`);
  });

  it('builds the demo and the seeder from their stages of the Dockerfile, with the repository as context', () => {
    for (const name of ['demo', 'seed']) {
      expect(services[name].build).toEqual({ context: '.', target: name });
    }
    expect(services.seed.environment).toEqual({ ETCD_ENDPOINT: 'http://etcd:2379', CONSUL_HTTP_ADDR: 'http://consul:8500' });
  });

  it('is accepted by `docker compose config` (or docker-compose v1) where either is installed', () => {
    // Compose v2 is a docker plugin, v1 a program of its own; a machine may have neither, only the docker client.
    const candidates: [string, string[]][] = [['docker', ['compose']], ['docker-compose', []]];
    const found = candidates.find(([bin, pre]) => spawnSync(bin, [...pre, 'version'], { encoding: 'utf8' }).status === 0);
    if (!found) return; // the structural checks above are then the whole check
    const [bin, pre] = found;
    const config = spawnSync(bin, [...pre, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8' });
    expect(config.stderr).toBe('');
    expect(config.status).toBe(0);
  });

  it('reads only the YAML it understands', () => {
    expect(parseYamlSubset('a:\n  - x: "1"\n    y: [\"p\", \"q\"]\n  - plain # comment\nb: \'it\'\'s\'\n')).toEqual({
      a: [{ x: '1', y: ['p', 'q'] }, 'plain'],
      b: "it's",
    });
    expect(() => parseYamlSubset('a: &anchor 1\n')).toThrow(/outside the YAML subset/);
    expect(() => parseYamlSubset('a: |\n  text\n')).toThrow(/outside the YAML subset/);
    expect(() => parseYamlSubset('a: 1\na: 2\n')).toThrow(/duplicate key a/);
  });
});

describe('Dockerfiles', () => {
  const rootFile = read('Dockerfile');
  const keyplateStage = stage(rootFile, 'keyplate');
  const demoStage = stage(rootFile, 'demo');
  const seedStage = stage(rootFile, 'seed');

  // scripts/docker-e2e.sh builds and runs these images for real; this checks their shape where no engine runs.
  it('builds the executable in a build stage; the keyplate image is FROM scratch with it, its C library and busybox', () => {
    const lines = instructions(rootFile);
    expect(lines).toContain('RUN npm run build:exe && exe/keyplate-linux-x64 --version');
    expect(keyplateStage.split('\n')[0]).toBe('FROM scratch AS keyplate');
    expect(keyplateStage).toContain('COPY --from=build /rootfs /');
    expect(keyplateStage).toMatch(/^ENV PATH=\/usr\/local\/bin:\/bin\s+KEYPLATE_METRICS_ADDR=0\.0\.0\.0:9100$/m);
    expect(lastInstruction(keyplateStage, 'HEALTHCHECK')).toContain('http://127.0.0.1:${KEYPLATE_METRICS_ADDR##*:}/healthz');
  });

  it('has an exe stage with only the executables, for COPY --from into another image', () => {
    expect(stage(rootFile, 'exe').split('\n')).toEqual([
      'FROM scratch AS exe',
      'COPY --from=build /app/exe/keyplate-linux-x64 /keyplate',
      'COPY --from=build /app/exe/keyplate-linux-x64-musl /keyplate-musl',
    ]);
  });

  it('builds the demo as a user would: nginx on Debian with keyplate copied in, its own health check; keyplate alone by default', () => {
    expect(demoStage.split('\n')[0]).toBe('FROM ${DEBIAN_IMAGE} AS demo');
    expect(demoStage).toContain('COPY --from=exe /keyplate /usr/local/bin/keyplate');
    expect(lastInstruction(demoStage, 'HEALTHCHECK')).toBe(lastInstruction(keyplateStage, 'HEALTHCHECK'));
    expect(execForm(seedStage, 'ENTRYPOINT')).toEqual(['node', '/opt/keyplate-demo/seed.mjs']);
    expect(instructions(rootFile).filter((l) => l.startsWith('FROM ')).at(-1)).toBe('FROM keyplate');
  });

  it('runs keyplate as the entrypoint', () => {
    expect(execForm(keyplateStage, 'ENTRYPOINT')).toEqual(['keyplate']);
    expect(execForm(demoStage, 'ENTRYPOINT')).toEqual([
      'keyplate', '--backend', 'etcd', '--node', 'http://etcd:2379', '--confdir', '/demo', '--', 'nginx', '-g', 'daemon off;',
    ]);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = instructions(rootFile)
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1))
      .filter((s) => s !== '.');
    expect(sources).toEqual(expect.arrayContaining(['demo/confdir', 'demo/seed.mjs', 'demo/keys.json', 'package.json', 'package-lock.json']));
    for (const source of sources) {
      expect(existsSync(path.join(root, source)), source).toBe(true);
      expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`)), source).toEqual([]);
    }
    for (const needed of ['src', 'backends', 'scripts', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});

// ---- Rendering the demo confdir. ----------------------------------------------------------------------------------

beforeAll(() => {
  if (!existsSync(cliPath)) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
}, 120_000);

afterEach(() => cleanupTemps());

/** A copy of demo/confdir whose dest is inside the copy instead of /etc/nginx. */
function demoConfdir(): { dir: string; dest: string } {
  const dir = tempDir('keyplate-demo-');
  cpSync(path.join(demo, 'confdir'), dir, { recursive: true });
  const toml = path.join(dir, 'conf.d', 'nginx.toml');
  const original = readFileSync(toml, 'utf8');
  expect(original).toMatch(/^dest = "\/etc\/nginx\/nginx\.conf"$/m);
  const dest = path.join(dir, 'out', 'nginx.conf');
  mkdirSync(path.dirname(dest));
  writeFileSync(toml, original.replace(/^dest = .*$/m, `dest = ${JSON.stringify(dest)}`));
  return { dir, dest };
}

/** keys.json as the env backend's variables: /demo/upstream/app1 → DEMO_UPSTREAM_APP1. */
const demoVariables = (): Record<string, string> =>
  Object.fromEntries(Object.entries(demoKeys).map(([k, v]) => [k.slice(1).replace(/\//g, '_').toUpperCase(), v]));

// nginx is not installed where tests run: --sync-only writes the file without check_cmd (`nginx -t`) or a reload.
const renderArgs = (dir: string, ...backend: string[]): string[] => ['--onetime', '--sync-only', ...backend, '--confdir', dir];

describe('the demo confdir', () => {
  it('renders the expected nginx.conf from the env backend', async () => {
    const { dir, dest } = demoConfdir();
    const r = await runCli(renderArgs(dir, '--backend', 'env'), { env: baseEnv(demoVariables()) });
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.code).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe(expected);
  });

  it('waits for the server name, writing nothing, until it is set', async () => {
    const { dir, dest } = demoConfdir();
    const { DEMO_NGINX_SERVERNAME: _, ...partial } = demoVariables();
    const r = await runCli(renderArgs(dir, '--backend', 'env'), { env: baseEnv(partial) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/demo/nginx/servername');
    expect(existsSync(dest)).toBe(false);
  });

  describe('with the keys seeded by demo/seed.mjs', () => {
    let etcd: EtcdServer | undefined;
    let consul: ConsulAgent | undefined;

    afterAll(async () => {
      await Promise.all([etcd?.stop(), consul?.stop()]);
    });

    const seed = (env: Record<string, string>) =>
      spawnSync(process.execPath, [path.join(demo, 'seed.mjs')], { env: baseEnv({ SEED_TIMEOUT_MS: '20000', ...env }), encoding: 'utf8', timeout: 30_000 });

    it('renders the same nginx.conf from etcd', async () => {
      etcd = await startEtcd();
      const seeded = seed({ ETCD_ENDPOINT: etcd.endpoints[0] });
      expect(seeded.stderr).toContain(`seed: etcd: wrote ${Object.keys(demoKeys).join(', ')}`);
      expect(seeded.status).toBe(0);
      const { dir, dest } = demoConfdir();
      const r = await runCli(renderArgs(dir, '--backend', 'etcd', '--node', etcd.endpoints[0]), { env: baseEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(dest, 'utf8')).toBe(expected);
    }, 60_000);

    it('renders the same nginx.conf from Consul', async () => {
      consul = await startConsul();
      const seeded = seed({ CONSUL_HTTP_ADDR: `http://${consul.address}` });
      expect(seeded.stderr).toContain(`seed: consul: wrote ${Object.keys(demoKeys).join(', ')}`);
      expect(seeded.status).toBe(0);
      const { dir, dest } = demoConfdir();
      const r = await runCli(renderArgs(dir, '--backend', 'consul', '--node', consul.address), { env: baseEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(dest, 'utf8')).toBe(expected);
    }, 60_000);

    it('says what to set when no store is named', () => {
      const r = seed({});
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('set ETCD_ENDPOINT');
    });
  });
});
