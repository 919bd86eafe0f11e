// The CLI as a process: confd's integration cases, exit codes, and every kind of bad input.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, cliPath, confdEnv, copyFixture, keyplateCommand, makeConfdir, runCli, tempDir } from './util.js';

afterEach(cleanupTemps);

const basic = {
  'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\n',
  'templates/app.tmpl': 'host={{getv "/database/host"}}\nport={{getv "/database/port"}}\n',
};

describe("confd's integration cases, in Handlebars", () => {
  it.each(['basic', 'exists-test', 'iteration', 'manykeys'])('%s renders byte for byte', async (name) => {
    const dir = copyFixture('confd');
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv(confdEnv) });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const expected = readFileSync(path.join(dir, 'expect', `${name}.conf`), 'utf8');
    expect(readFileSync(path.join(dir, 'out', `${name}.conf`), 'utf8')).toBe(expected);
    expect(expected.endsWith('\n') && !expected.endsWith('\n\n')).toBe(true);
  });
});

describe('missing keys with the env backend', () => {
  it('exits 3 (keys missing, as with etcd and Consul), lists every missing key of every resource with the variable to set, and writes nothing', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/web.toml': '[template]\nsrc = "web.tmpl"\ndest = "out/web.conf"\nprefix = "/myapp"\nkeys = ["/web"]\n',
      'templates/web.tmpl': '{{getv "/web/port"}} {{getv "/web/name"}} {{getv "/web/opt" "default"}}\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: 'db' }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('app.toml: missing /database/port (set DATABASE_PORT)');
    expect(r.stderr).toContain('web.toml: missing /myapp/web/name (set MYAPP_WEB_NAME)');
    expect(r.stderr).toContain('web.toml: missing /myapp/web/port (set MYAPP_WEB_PORT)');
    expect(r.stderr).not.toContain('/myapp/web/opt');
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('matches prefixes at `_` boundaries: /key does not take KEYSTONE', async () => {
    const dir = makeConfdir({
      'conf.d/k.toml': '[template]\nsrc = "k.tmpl"\ndest = "out/k"\nkeys = ["/key"]\n',
      'templates/k.tmpl': '{{#each (gets "/*")}}{{key}}={{value}}\n{{/each}}',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ KEY: 'a', KEYSTONE: 'b', KEY_X: 'c' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/k'), 'utf8')).toBe('/key=a\n');
  });
});

describe('bad input: exit 2, a message naming the file, nothing written', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['an unknown field', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nreload_comand = "x"\n' }, /bad\.toml:\d+: unknown field `reload_comand`/],
    ['a TOML syntax error, with its line', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = = "x"\n' }, /bad\.toml:3:\d+: invalid TOML/],
    ['a mode written as a number with a leading zero', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nmode = 0644\n' }, /bad\.toml:4:\d+: invalid TOML.*mode = "0644"/],
    ['a bad mode', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nmode = "0999"\n' }, /bad\.toml:\d+: mode must be an octal string such as "0644", got "0999"/],
    ['a missing src file', { 'conf.d/bad.toml': '[template]\nsrc = "nope.tmpl"\ndest = "out/x"\n' }, /bad\.toml:\d+: src template .*nope\.tmpl does not exist/],
    ['a missing dest', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\n' }, /bad\.toml: missing required field `dest`/],
    ['two resources with the same dest', { 'conf.d/zz.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\n' }, /zz\.toml: dest .*out\/app\.conf is also written by .*app\.toml/],
    ['keys that are not a list of strings', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nkeys = "/db"\n' }, /bad\.toml:\d+: keys must be a list of strings/],
    ['an unknown owner', { 'conf.d/bad.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/x"\nowner = "no-such-user-kp"\n' }, /bad\.toml:\d+: owner `no-such-user-kp` is not a user/],
    ['a template syntax error, with line and column', { 'templates/broken.tmpl': 'line one\n{{#if (exists "/a")}}\nno end\n', 'conf.d/b.toml': '[template]\nsrc = "broken.tmpl"\ndest = "out/b"\n' }, /broken\.tmpl:2:1: template syntax error: `\{\{#if\}\}` opened at line 2 is never closed/],
    ['an unknown helper', { 'templates/h.tmpl': 'x\n  {{getvv "/a"}}\n', 'conf.d/h.toml': '[template]\nsrc = "h.tmpl"\ndest = "out/h"\n' }, /h\.tmpl:2:3: unknown helper `getvv`/],
  ];
  it.each(cases)('%s', async (_name, extra, message) => {
    const dir = makeConfdir({ ...basic, ...extra });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1' }) });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('reports every broken resource at once', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/a.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/a"\nfoo = 1\n',
      'conf.d/b.toml': '[template]\nsrc = "missing.tmpl"\ndest = "out/b"\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.toml:\d+: unknown field `foo`/);
    expect(r.stderr).toMatch(/b\.toml:\d+: src template/);
  });

  it('conf.d is walked like confd: *.toml files and symlinks at any depth, a directory named *.toml too; nothing else', async () => {
    const toml = (name: string): string => `[template]\nsrc = "app.tmpl"\ndest = "out/${name}.conf"\nkeys = ["/database"]\n`;
    const dir = makeConfdir({
      'templates/app.tmpl': 'x\n',
      'conf.d/a.toml': toml('a'),
      'conf.d/sub/deeper/b.toml': toml('b'),
      'conf.d/odd.toml/c.toml': toml('c'),
      'conf.d/notes.txt': 'not a resource',
      'conf.d/a.toml.bak': 'not = "a resource"',
      'elsewhere/d.toml': toml('d'),
    });
    symlinkSync(path.join(dir, 'elsewhere/d.toml'), path.join(dir, 'conf.d/d.toml'));
    mkdirSync(path.join(dir, 'conf.d/empty'));
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: 'h' }) });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    expect(readdirSync(path.join(dir, 'out')).sort()).toEqual(['a.conf', 'b.conf', 'c.conf', 'd.conf']);
  });

  it('a confdir without conf.d says what to do', async () => {
    const r = await runCli(['--onetime', '--confdir', '/nonexistent-kp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent-kp\/conf\.d: no conf\.d directory; create it/);
  });
});

describe('rendering', () => {
  it('writes backend values verbatim: no HTML escaping, no template evaluation of data', async () => {
    const dir = makeConfdir(basic);
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: '{{evil}} <&> "q"', DATABASE_PORT: "'1'" }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe(`host={{evil}} <&> "q"\nport='1'\n`);
  });

  it('Handlebars built-ins and helpers in nested positions all work', async () => {
    const dir = makeConfdir({
      'conf.d/b.toml': '[template]\nsrc = "b.tmpl"\ndest = "out/b"\nkeys = ["/app"]\n',
      'templates/b.tmpl': [
        '{{#with (json (getv "/app/cfg"))}}port={{port}}{{/with}}',
        '{{#unless (exists "/app/nope")}}no-nope{{/unless}}',
        '{{#if (contains (toUpper (getv "/app/name")) "WEB")}}web{{else}}other{{/if}}',
        '{{lookup (split "a,b,c" ",") 1}}',
        '{{#each (reverse (getvs "/app/list/*"))}}[{{@index}}:{{this}}]{{/each}}',
        '{{join (split (base "/x/y-z") "-") "+"}}{{log "only logged"}}',
        '',
      ].join('\n'),
    });
    const r = await runCli(['--onetime', '--confdir', dir], {
      env: baseEnv({ APP_CFG: '{"port": 8080}', APP_NAME: 'webapp', APP_LIST_A: '1', APP_LIST_B: '2' }),
    });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/b'), 'utf8')).toBe('port=8080\nno-nope\nweb\nb\n[0:2][1:1]\ny+z\n');
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('keyplate template log: only logged');
  });

  it('a helper error fails that resource (exit 1) naming the template, and the others are still written', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/math.toml': '[template]\nsrc = "math.tmpl"\ndest = "out/math"\nengine = "handlebars"\n',
      'templates/math.tmpl': '{{div 1 0}}\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/math\.tmpl: div: division by zero/);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(true);
    expect(existsSync(path.join(dir, 'out/math'))).toBe(false);
  });

  it('a key read outside the resource keys is rejected at load as a mistake, not waited for', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/database"]\n',
      'templates/a.tmpl': '{{getv "/other/key"}}\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ OTHER_KEY: 'x' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.tmpl:1:1: `getv` reads \/other\/key, outside the keys of a\.toml \(\/database\); add "\/other\/key" to keys in a\.toml/);
  });

  it('joins the global --prefix with the resource prefix', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nprefix = "svc"\nkeys = ["/db"]\n',
      'templates/a.tmpl': '{{getv "/db/host"}}\n{{#each (gets "/db/*")}}{{key}}\n{{/each}}',
    });
    const r = await runCli(['--onetime', '--confdir', dir, '--prefix', '/prod'], { env: baseEnv({ PROD_SVC_DB_HOST: 'db1' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('db1\n/db/host\n');
  });

  it('--env-file fills in variables; the real environment wins', async () => {
    const dir = makeConfdir(basic);
    writeFileSync(path.join(dir, 'dev.env'), '# dev values\nDATABASE_HOST=from-file\nDATABASE_PORT="5432"\n');
    const r = await runCli(['--onetime', '--confdir', dir, '--env-file', path.join(dir, 'dev.env')], { env: baseEnv({ DATABASE_HOST: 'from-env' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=from-env\nport=5432\n');
  });

  it('a missing env file is a usage error naming it (exit 2)', async () => {
    const dir = makeConfdir(basic);
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ KEYPLATE_ENV_FILE: '/nope/dev.env' }) });
    expect(r.stderr).toMatch(/\[env\] \/nope\/dev\.env: cannot read the env file \(ENOENT\); fix KEYPLATE_ENV_FILE/);
    expect(r.code).toBe(2);
  });

  it('a missing --env-file is an error naming it', async () => {
    const dir = makeConfdir(basic);
    const r = await runCli(['--onetime', '--confdir', dir, '--env-file', '/nope/dev.env']);
    // Node 20 itself scans argv for --env-file, even after the script, and exits 9 when the file is missing.
    const node20 = Number(process.versions.node.split('.')[0]) < 22;
    expect(r.stderr).toMatch(node20 ? /\/nope\/dev\.env: (cannot read the env file|not found)/ : /\/nope\/dev\.env: cannot read the env file/);
    expect(r.code).not.toBe(0);
  });
});

describe('output', () => {
  it('a full non-blocking stderr loses no log line and keeps their order', () => {
    // 2,000 template log lines (~200 KB) into a pipe made non-blocking, read only after a pause: the pipe
    // fills, writes meet EAGAIN, and keyplate must hand the rest to Node's stream instead of dropping it.
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\n',
      'templates/app.tmpl': `{{#each (seq 1 2000)}}{{log (printf "line %d ${'x'.repeat(80)}" this)}}{{/each}}done\n`,
    });
    const nonblocking = 'import fcntl, os, sys; fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])';
    // The reader starts after a pause, so the pipe is full while keyplate writes.
    const script = `python3 -c "$0" "$@" 2>&1 >/dev/null | (sleep 0.5; cat); exit \${PIPESTATUS[0]}`;
    const r = spawnSync('bash', ['-c', script, nonblocking, ...keyplateCommand, '--onetime', '--confdir', dir], { env: baseEnv(), encoding: 'utf8' });
    const [code, stderr] = [r.status, r.stdout];
    expect(code).toBe(0);
    const lines = stderr.split('\n').filter((l) => l.startsWith('keyplate template log: line '));
    expect(lines).toHaveLength(2000);
    expect(lines.map((l) => Number(/line (\d+)/.exec(l)![1]))).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('done\n');
  });
});

describe('one template, many resources', () => {
  it('each render sees its own prefix and keys, its own missing keys, and the built-in helpers still work', async () => {
    const files: Record<string, string> = {
      'templates/svc.tmpl': '{{#if (exists "/port")}}port={{getv "/port"}}{{else}}no port{{/if}}\n{{#each (gets "/tags/*")}}{{base key}}={{value}};{{/each}}\n{{getv "/name"}}\n',
    };
    for (const svc of ['a', 'b', 'c']) {
      files[`conf.d/${svc}.toml`] = `[template]\nsrc = "svc.tmpl"\ndest = "out/${svc}.conf"\nprefix = "/svc/${svc}"\nkeys = ["/"]\n`;
    }
    const dir = makeConfdir(files);
    const env = baseEnv({ SVC_A_PORT: '1', SVC_A_NAME: 'alpha', SVC_A_TAGS_X: 'x1', SVC_B_NAME: 'beta', SVC_B_TAGS_Y: 'y2', SVC_B_TAGS_Z: 'z3' });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(3); // c.toml's keys are missing
    expect(readFileSync(path.join(dir, 'out/a.conf'), 'utf8')).toBe('port=1\nx=x1;\nalpha\n');
    expect(readFileSync(path.join(dir, 'out/b.conf'), 'utf8')).toBe('no port\ny=y2;z=z3;\nbeta\n');
    expect(existsSync(path.join(dir, 'out/c.conf'))).toBe(false);
    expect(r.stderr).toContain('c.toml: missing /svc/c/name (set SVC_C_NAME)');
    expect(r.stderr).not.toMatch(/[ab]\.toml: missing/);
  });
});

// Node-only by nature (Node's own --env-file): it runs `node dist/keyplate.cjs` in both test projects.
describe('the process environment, as Node set it up', () => {
  it("variables Node's own --env-file added after exec are seen too (they are not in /proc/self/environ)", () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
      'templates/app.tmpl': '{{getv "/app/name"}} {{getenv "FROM_NODE"}}\n',
    });
    writeFileSync(path.join(dir, 'node.env'), 'APP_NAME=by-node\nFROM_NODE=yes\n');
    const r = spawnSync(process.execPath, [`--env-file=${path.join(dir, 'node.env')}`, cliPath, '--onetime', '--confdir', dir], { env: baseEnv(), encoding: 'utf8' });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('by-node yes\n');
  });
});

describe('the process environment', () => {
  it('values keep UTF-8, `=` and emptiness, through both getv and getenv', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
      'templates/app.tmpl': 'name={{getv "/app/name"}}\nurl={{getv "/app/url"}}\nempty=[{{getv "/app/empty"}}]\nenv={{getenv "APP_NAME"}}\n',
    });
    const env = baseEnv({ APP_NAME: 'Zürich 日本 ✓', APP_URL: 'postgres://u:p@h/db?sslmode=require&x==y', APP_EMPTY: '' });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.stderr).not.toContain('ERROR');
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe(
      'name=Zürich 日本 ✓\nurl=postgres://u:p@h/db?sslmode=require&x==y\nempty=[]\nenv=Zürich 日本 ✓\n',
    );
  });
});

describe('safe writes', () => {
  const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1' });

  it('a new file gets 0644; `mode = "600"` means octal 0600', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/secret.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/secret"\nkeys = ["/database"]\nmode = "600"\n',
    });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(statSync(path.join(dir, 'out/app.conf')).mode & 0o7777).toBe(0o644);
    expect(statSync(path.join(dir, 'out/secret')).mode & 0o7777).toBe(0o600);
  });

  it('an existing file keeps its mode; an unchanged file is not touched and its reload_cmd does not run', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\nreload_cmd = "echo ran >> reloads.log"\n',
    });
    writeFileSync(path.join(dir, 'out/app.conf'), 'old\n', { mode: 0o640 });
    const first = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(first.code).toBe(0);
    const st = statSync(path.join(dir, 'out/app.conf'));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(readFileSync(path.join(dir, 'reloads.log'), 'utf8')).toBe('ran\n');
    const second = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(second.code).toBe(0);
    const st2 = statSync(path.join(dir, 'out/app.conf'));
    expect(st2.ino).toBe(st.ino);
    expect(st2.mtimeMs).toBe(st.mtimeMs);
    expect(readFileSync(path.join(dir, 'reloads.log'), 'utf8')).toBe('ran\n');
  });

  it('compares bytes, not decoded text: invalid UTF-8 on disk is replaced by a rendered U+FFFD', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\n',
      'templates/app.tmpl': 'x={{getv "/database/host"}}\n',
    });
    const dest = path.join(dir, 'out/app.conf');
    // 0xff decodes to U+FFFD, the very text the template renders; the bytes still differ.
    writeFileSync(dest, Buffer.from([0x78, 0x3d, 0xff, 0x0a]));
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: '\uFFFD' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('(content)');
    expect(readFileSync(dest)).toEqual(Buffer.from('x=\uFFFD\n', 'utf8'));
    const again = await runCli(['--onetime', '--confdir', dir, '--log-level', 'debug'], { env: baseEnv({ DATABASE_HOST: '\uFFFD' }) });
    expect(again.stderr).toContain('app.toml: unchanged');
  });

  it('a failing check_cmd keeps the old file, removes the stage file, exits 1 and shows the output', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "echo checking {{.src}}; grep -q port=999 {{src}}"\nreload_cmd = "touch reloaded"\n',
    });
    writeFileSync(path.join(dir, 'out/app.conf'), 'old\n');
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/check_cmd exited with code 1; .*app\.conf was left as it was/);
    expect(r.stderr).toMatch(/checking .*\.app\.conf\.keyplate-/);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('old\n');
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['app.conf']);
    expect(existsSync(path.join(dir, 'reloaded'))).toBe(false);
  });

  it('check_cmd sees the staged file with the new content, private (0600)', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\nmode = "0644"\ncheck_cmd = "stat -c %a {{src}} > mode.txt && cat {{ .src }} > seen.txt"\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'mode.txt'), 'utf8').trim()).toBe('600');
    expect(readFileSync(path.join(dir, 'seen.txt'), 'utf8')).toBe('host=h\nport=1\n');
    expect(statSync(path.join(dir, 'out/app.conf')).mode & 0o7777).toBe(0o644);
  });

  it('--keep-stage-file keeps the stage when the check fails', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "false"\n',
    });
    const r = await runCli(['--onetime', '--keep-stage-file', '--confdir', dir], { env });
    expect(r.code).toBe(1);
    const staged = readdirSync(path.join(dir, 'out'));
    expect(staged).toHaveLength(1);
    expect(staged[0]).toMatch(/^\.app\.conf\.keyplate-/);
    expect(statSync(path.join(dir, 'out', staged[0])).mode & 0o777).toBe(0o600);
  });

  it('a check_cmd that overruns check_timeout is killed with its process group and fails', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "sleep 30 & sleep 30"\ncheck_timeout = "300ms"\n',
    });
    const started = Date.now();
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/check_cmd timed out after 300ms and was killed/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a destination directory that does not exist fails that resource, naming the directory', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/b.toml': '[template]\nsrc = "app.tmpl"\ndest = "nodir/b.conf"\nkeys = ["/database"]\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/destination directory .*\/nodir does not exist/);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(true);
  });

  it('--noop writes nothing, runs nothing and prints a unified diff', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "touch checked"\nreload_cmd = "touch reloaded"\n',
    });
    writeFileSync(path.join(dir, 'out/app.conf'), 'host=h\nport=0\n');
    const r = await runCli(['--onetime', '--noop', '--confdir', dir], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-port=0\n+port=1');
    expect(r.stdout).toMatch(/^--- .*app\.conf/m);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=h\nport=0\n');
    expect(existsSync(path.join(dir, 'checked'))).toBe(false);
    expect(existsSync(path.join(dir, 'reloaded'))).toBe(false);
  });

  it('--sync-only writes but runs neither check_cmd nor reload_cmd', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "false"\nreload_cmd = "touch reloaded"\n',
    });
    const r = await runCli(['--onetime', '--sync-only', '--confdir', dir], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=h\nport=1\n');
    expect(existsSync(path.join(dir, 'reloaded'))).toBe(false);
  });

  it('a reload_cmd shared by two resources runs once; a failing reload exits 1', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\nreload_cmd = "echo x >> reloads.log"\n',
      'conf.d/b.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/b.conf"\nkeys = ["/database"]\nreload_cmd = "echo x >> reloads.log"\n',
      'conf.d/c.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/c.conf"\nkeys = ["/database"]\nreload_cmd = "echo failing >&2; exit 3"\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(readFileSync(path.join(dir, 'reloads.log'), 'utf8')).toBe('x\n');
    // --onetime has no next change: it never promises a retry, and says that running it again will not reload.
    expect(r.stderr).toMatch(/c\.toml: reload_cmd exited with code 3; \S+\/out\/c\.conf is already updated, so running keyplate again will not reload: once the command works, run it by hand\nfailing/);
    expect(r.stderr).not.toContain('will retry');
    expect(r.code).toBe(1);
    // As it says: the second run finds the file up to date, runs no reload_cmd, and exits 0.
    const again = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(again.stderr).not.toContain('reload_cmd');
    expect(again.code).toBe(0);
  });

  it.runIf(process.getuid?.() === 0)('sets owner and group (uid/gid win over names)', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\nowner = "root"\nuid = 65534\ngid = 65534\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(0);
    const st = statSync(path.join(dir, 'out/app.conf'));
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
  });
});

describe('secrets', () => {
  it('command output is logged with backend values hidden', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ncheck_cmd = "cat {{src}}; exit 1"\n',
      'conf.d/b.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/b.conf"\nkeys = ["/database"]\nreload_cmd = "echo reloading with $(cat out/b.conf); exit 2"\n',
    });
    const secret = 'hunter2-secret';
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ DATABASE_HOST: secret, DATABASE_PORT: '5432' }), cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('host=[value of /database/host]');
    expect(r.stderr).toMatch(/reloading with host=\[value of \/database\/host\] port=\[value of \/database\/port\]/);
    expect(r.stderr).not.toContain(secret);
  });

  it('no backend value appears in the logs, even at debug level', async () => {
    const dir = makeConfdir({
      ...basic,
      'conf.d/bad.toml': '[template]\nsrc = "bad.tmpl"\ndest = "out/bad"\nkeys = ["/database"]\n',
      'templates/bad.tmpl': '{{base64Decode (getv "/database/host")}} {{div (getv "/database/port") 0}}\n',
    });
    const secret = 'S3cr3t-value-!@#';
    const r = await runCli(['--onetime', '--confdir', dir, '--log-level', 'debug', '--log-format', 'json'], { env: baseEnv({ DATABASE_HOST: secret, DATABASE_PORT: secret }) });
    expect(r.stderr.length).toBeGreaterThan(0);
    expect(r.stderr).not.toContain(secret);
    for (const line of r.stderr.trim().split('\n')) {
      const entry = JSON.parse(line);
      expect(entry).toHaveProperty('level');
      expect(entry).toHaveProperty('time');
    }
  });
});

describe('the cache of compiled templates and parsed resources', () => {
  it('gives the same results as no cache, follows every edit, and still reports errors', async () => {
    const cache = tempDir();
    const dir = makeConfdir(basic);
    const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readdirSync(cache).some((f) => f.startsWith('resources-'))).toBe(true);
    expect(readdirSync(cache).some((f) => f.startsWith('template-'))).toBe(true);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=h\nport=1\n');

    // A cached run, then edits to the resource and the template: each is seen.
    writeFileSync(path.join(dir, 'conf.d/app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/other.conf"\nkeys = ["/database"]\n');
    writeFileSync(path.join(dir, 'templates/app.tmpl'), 'h={{getv "/database/host"}}\n');
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/other.conf'), 'utf8')).toBe('h=h\n');

    expect(readdirSync(cache).some((f) => f.startsWith('validated-'))).toBe(true);

    // Validated resources are reused only while what they checked still holds: a template that is gone is an error.
    renameSync(path.join(dir, 'templates/app.tmpl'), path.join(dir, 'templates/app.tmpl.off'));
    const gone = await runCli(['--onetime', '--confdir', dir], { env });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/src template .*app\.tmpl does not exist/);
    renameSync(path.join(dir, 'templates/app.tmpl.off'), path.join(dir, 'templates/app.tmpl'));

    // The same files under another global prefix are validated again (keys and prefix come from it).
    const prefixed = await runCli(['--onetime', '--confdir', dir, '--prefix', '/other', '--log-level', 'error'], { env });
    expect(prefixed.code).toBe(3);
    expect(prefixed.stderr).toContain('missing /other/database/host (set OTHER_DATABASE_HOST)');

    // An error is never cached away.
    writeFileSync(path.join(dir, 'conf.d/app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/other.conf"\nbogus = 1\n');
    const bad = await runCli(['--onetime', '--confdir', dir], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown field `bogus`/);
  });

  it('resources naming an owner or group are validated on every start (the names can change owner)', async () => {
    const cache = tempDir();
    const dir = makeConfdir({ ...basic, 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/database"]\ngroup = "root"\n' });
    const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readdirSync(cache).some((f) => f.startsWith('resources-'))).toBe(true);
    expect(readdirSync(cache).some((f) => f.startsWith('validated-'))).toBe(false);
  });
});

describe('the templates cache entry and its V8 code cache', () => {
  const manyTemplates = (): string => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      files[`conf.d/r${i}.toml`] = `[template]\nsrc = "t${i}.tmpl"\ndest = "out/r${i}.conf"\nkeys = ["/database"]\n`;
      files[`templates/t${i}.tmpl`] = `t${i} {{getv "/database/host"}}{{#if (exists "/database/port")}}:{{getv "/database/port"}}{{/if}}\n`;
    }
    return makeConfdir(files);
  };
  const outputs = (dir: string): string[] => Array.from({ length: 12 }, (_, i) => readFileSync(path.join(dir, `out/r${i}.conf`), 'utf8'));
  const expected = Array.from({ length: 12 }, (_, i) => `t${i} h:1\n`);

  it('are written once, used by later starts, and give the same output as no cache at all', async () => {
    const cache = tempDir();
    const dir = manyTemplates();
    const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    const sidecar = readdirSync(cache).find((f) => /^templates-.*\.js\..*\.(v8|jsc)$/.test(f))!;
    expect(sidecar).toBeDefined();
    const written = statSync(path.join(cache, sidecar)).mtimeMs;
    rmSync(path.join(dir, 'out'), { recursive: true });
    mkdirSync(path.join(dir, 'out'));
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(outputs(dir)).toEqual(expected);
    // Accepted by V8 and so left alone.
    expect(statSync(path.join(cache, sidecar)).mtimeMs).toBe(written);

    const plain = manyTemplates();
    expect((await runCli(['--onetime', '--confdir', plain], { env: baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1' }) })).code).toBe(0);
    expect(outputs(plain)).toEqual(expected);
  });

  it('a code cache made for other text, or damaged, is never trusted; an edited template is seen', async () => {
    const cache = tempDir();
    const dir = manyTemplates();
    const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    const sidecar = path.join(cache, readdirSync(cache).find((f) => /^templates-.*\.js\..*\.(v8|jsc)$/.test(f))!);
    const good = readFileSync(sidecar);
    const eol = good.indexOf(0x0a);

    // The right length and V8 header, another tag: ignored, then replaced.
    writeFileSync(sidecar, Buffer.concat([Buffer.from('another-tag\n'), good.subarray(eol + 1)]));
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(sidecar).subarray(0, eol)).toEqual(good.subarray(0, eol));

    // The right tag, damaged data: V8 rejects it, keyplate compiles, then replaces it.
    writeFileSync(sidecar, Buffer.concat([good.subarray(0, eol + 1), Buffer.alloc(good.length - eol - 1, 7)]));
    rmSync(path.join(dir, 'out/r3.conf'));
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(outputs(dir)).toEqual(expected);
    expect(readFileSync(sidecar).equals(Buffer.concat([good.subarray(0, eol + 1), Buffer.alloc(good.length - eol - 1, 7)]))).toBe(false);

    writeFileSync(path.join(dir, 'templates/t5.tmpl'), 'edited {{getv "/database/host"}}\n');
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/r5.conf'), 'utf8')).toBe('edited h\n');
    expect(readFileSync(path.join(dir, 'out/r6.conf'), 'utf8')).toBe('t6 h:1\n');
  });
});

describe('a cache directory others can write to', () => {
  it('is not used: cached templates are code, so a world-writable cache could inject it', async () => {
    const cache = tempDir();
    chmodSync(cache, 0o777);
    const dir = makeConfdir(basic);
    const env = baseEnv({ DATABASE_HOST: 'h', DATABASE_PORT: '1', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readdirSync(cache)).toEqual([]);
    // Even a well-formed entry planted under the exact name is never read.
    const { contentKey } = await import('../src/cache/disk.js');
    const Handlebars = (await import('handlebars')).default;
    const source = readFileSync(path.join(dir, 'templates/app.tmpl'), 'utf8');
    const planted = Handlebars.precompile('PWNED\n', { noEscape: true });
    writeFileSync(path.join(cache, `template-${contentKey(`${Handlebars.VERSION}\0noEscape\0${source}`)}.js`), `${planted}\n//--keyplate-input--\n${source}`);
    rmSync(path.join(dir, 'out/app.conf'));
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('host=h\nport=1\n');
  });
});
