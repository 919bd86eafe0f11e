// confd's Go templates through the CLI, as a confd user points keyplate at an unchanged confdir: real etcd in watch
// mode (only what a change touches is rendered again; a missing key is waited for and named), --onetime with env,
// --wait-timeout, reads outside a resource's keys, and the compiled templates' cache.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useEtcd } from './lifecycle.js';
import { baseEnv, cleanupTemps, makeConfdir, readIfExists, runCli, startCli, tempDir, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

/** Two confd resources with Go templates (as confd's docs write them) and one reading from the root, keys ["/"]. */
const confdConfdir = {
  'conf.d/haproxy.toml': '[template]\nsrc = "haproxy.cfg.tmpl"\ndest = "out/haproxy.cfg"\nkeys = ["/services/web"]\n',
  'templates/haproxy.cfg.tmpl': [
    'backend web',
    '{{- range $i, $s := gets "/services/web/*"}}',
    '  server {{base $s.Key}} {{$s.Value}} check{{if eq $i 0}} # first{{end}}',
    '{{- end}}',
    '',
  ].join('\n'),
  'conf.d/db.toml': '[template]\nsrc = "db.conf.tmpl"\ndest = "out/db.conf"\nprefix = "/app"\nkeys = ["/db"]\n',
  'templates/db.conf.tmpl': '{{with get "/db/host"}}host={{.Value}}{{end}}\nport={{getv "/db/port" "5432"}}\n{{/* user is required */}}user={{getv "/db/user"}}\n',
  'conf.d/root.toml': '[template]\nsrc = "root.tmpl"\ndest = "out/root"\nkeys = ["/"]\n',
  'templates/root.tmpl': '{{range ls "/"}}{{.}} {{end}}|{{range lsdir "/"}}{{.}}{{end}}|{{getv "/env/mode"}}\n',
};

describe('a confd confdir of Go templates against etcd', () => {
  const ctx = useEtcd();

  it('renders as confd, re-renders only what a change touches, waits for a missing key and names it', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/services/web/b').value('10.0.0.2:80');
    await ctx.client.put('/services/web/a').value('10.0.0.1:80');
    await ctx.client.put('/app/db/host').value('db1');
    await ctx.client.put('/top').value('t');
    await ctx.client.put('/env/mode').value('prod');
    const dir = makeConfdir(confdConfdir);
    const out = (name: string): string => path.join(dir, 'out', name);
    const args = ['--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-min', '20ms'];
    const { code, out: log } = await whileRunning(args, { cwd: dir, env: baseEnv() }, async (kp) => {
      await waitFor(() => readIfExists(out('haproxy.cfg')) !== '' && readIfExists(out('root')) !== '', 10_000, 'first render');
      expect(readIfExists(out('haproxy.cfg'))).toBe('backend web\n  server a 10.0.0.1:80 check # first\n  server b 10.0.0.2:80 check\n');
      // memkv's root: ls "/" lists top-level leaves only, lsdir "/" nothing (confd 0.17).
      expect(readIfExists(out('root'))).toBe('top ||prod\n');
      // db.conf waits for /app/db/user, and says so.
      await waitFor(() => kp.out.stderr.includes('db.toml: waiting for /app/db/user'), 10_000, 'waiting line');
      expect(existsSync(out('db.conf'))).toBe(false);
      const before = { haproxy: statSync(out('haproxy.cfg')).mtimeMs, root: statSync(out('root')).mtimeMs };
      await ctx.client.put('/app/db/user').value('admin');
      await waitFor(() => readIfExists(out('db.conf')) === 'host=db1\nport=5432\nuser=admin\n', 10_000, 'the missing key arrives');
      await ctx.client.put('/services/web/c').value('10.0.0.3:80');
      await waitFor(() => readIfExists(out('haproxy.cfg')).includes('server c 10.0.0.3:80'), 10_000, 'a new server');
      await ctx.client.put('/app/db/port').value('6432');
      await waitFor(() => readIfExists(out('db.conf')).includes('port=6432'), 10_000, 'the default replaced');
      // root.tmpl reads nothing those puts touched: never written again.
      expect(statSync(out('root')).mtimeMs).toBe(before.root);
      expect(statSync(out('haproxy.cfg')).mtimeMs).toBeGreaterThan(before.haproxy);
      // keys = ["/"] is watched whole: a change anywhere reaches the resource that reads it.
      await ctx.client.put('/env/mode').value('dev');
      await waitFor(() => readIfExists(out('root')) === 'top ||dev\n', 10_000, 'a change under the root');
    });
    expect(code).toBe(0);
    expect(log.stderr).toMatch(/root\.toml: updated .*out\/root \(created\)\n/);
    expect(log.stderr.match(/root\.toml: updated/g)).toHaveLength(2); // created, then /env/mode
    expect(log.stderr).not.toMatch(/admin|10\.0\.0\.3/); // values stay out of the log
  });

  it('--onetime --wait-timeout gives up with exit 3, naming the keys a Go template lacks', async () => {
    await ctx.client.delete().all();
    await ctx.client.put('/app/db/host').value('db1');
    const dir = makeConfdir({ 'conf.d/db.toml': confdConfdir['conf.d/db.toml'], 'templates/db.conf.tmpl': confdConfdir['templates/db.conf.tmpl'] });
    const r = await runCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir, '--wait-timeout', '2s'], { env: baseEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/gave up waiting for keys after 2s:\ndb\.toml: missing \/app\/db\/user \(etcdctl .*put \/app\/db\/user <value>\)/);
    expect(existsSync(path.join(dir, 'out/db.conf'))).toBe(false);
  });

  it('SIGTERM while --onetime waits for a key of a Go template: exit 143, nothing written', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n', 'templates/a.tmpl': '{{- getv "/app/port" -}}\n' });
    await ctx.client.delete().all();
    const kp = startCli(['--onetime', '--backend', 'etcd', '--node', ctx.etcd.endpoints[0], '--confdir', dir], { env: baseEnv() });
    await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting line');
    kp.child.kill('SIGTERM');
    const { code } = await kp.exited;
    expect(code).toBe(143);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });
});

describe('Go templates with --onetime and the env backend', () => {
  it('a misspelt function is named with the closest one, not blamed on the other template language', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/p"]\n', 'templates/a.tmpl': '{{- /* c */ -}}\nb={{getvv "/p"}}\n' });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ P: '1' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.tmpl:2:\d+: Go template syntax error: .*function "getvv" not defined; did you mean `getv`\?/);
    expect(r.stderr).not.toMatch(/Handlebars/);
  });

  it.each([
    ['a {{range}} without its {{end}}', 'upstream {\n{{range gets "/p/*"}}\n  server {{.Value}};\n}\n', 'range', 2],
    ['an {{if}} inside a closed {{range}}', '{{range gets "/p/*"}}{{.Value}}{{end}}\n{{if exists "/p/a"}}\nyes\n', 'if', 2],
    ['an {{else}} branch never closed', '{{with getv "/p/a"}}\n{{.}}\n{{else}}\nnone\n', 'with', 1],
    ['a {{define}} never closed', '{{define "x"}}\nx\n', 'define', 1],
  ])('%s: Go\'s "unexpected EOF" names the action left open and its line, exit 2', async (_name, template, keyword, line) => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/p"]\n', 'templates/a.tmpl': template });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ P_A: '1' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Go template syntax error: template: a.tmpl:`);
    expect(r.stderr).toContain(`unexpected EOF; the {{${keyword}}} on line ${line} has no {{end}}`);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });

  it('a JSON template closing its object right after a tag renders unchanged, as confd renders it', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.json.tmpl"\ndest = "out/a.json"\nkeys = ["/p"]\n', 'templates/a.json.tmpl': '{"port": {{getv "/p"}}}\n' });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ P: '8080' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a.json'), 'utf8')).toBe('{"port": 8080}\n');
  });

  it('a backslash before a tag (a Windows path) is text in Go: rendered as confd renders it, auto and engine = "go" alike', async () => {
    const template = 'path=C:\\{{getv "/a/dir"}}\nre=^\\{{getv "/a/x"}}$\n';
    for (const engine of ['', 'engine = "go"\n']) {
      const dir = makeConfdir({ 'conf.d/a.toml': `[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n${engine}`, 'templates/a.tmpl': template });
      const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ A_DIR: 'data', A_X: '1' }) });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('path=C:\\data\nre=^\\1$\n');
    }
  });

  it('a Handlebars template whose only sign is an escaped tag is read as Go, and the error says how to choose Handlebars', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\n', 'templates/a.tmpl': 'lit=\\{{x}} {{getv "/a/x"}}\n' });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ A_X: '1' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.tmpl:1:\d+: Go template syntax error: .*function "x" not defined \(line 1 has \\\{\{, which Handlebars reads otherwise: if it is a Handlebars template, set engine = "handlebars" in its resource\)/);
    writeFileSync(path.join(dir, 'conf.d/a.toml'), '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/a"]\nengine = "handlebars"\n');
    const again = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ A_X: '1' }) });
    expect(again.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('lit={{x}} 1\n');
  });

  it('a runaway range (seq inside seq) stops at render_timeout: exit 1 naming the limit, nothing written', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nrender_timeout = "1s"\n',
      'templates/a.tmpl': '{{range seq 1 1000000}}{{range seq 1 1000000}}{{end}}{{end}}\n',
    });
    const began = Date.now();
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv() });
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ran past its time limit of 1s and was stopped; .*raise render_timeout in a\.toml/);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });

  it('renders getv, getenv, json, printf and range exactly, and exits 0', async () => {
    const dir = makeConfdir({
      'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n',
      'templates/app.tmpl': [
        '{{- $cfg := json (getv "/app/config") -}}',
        'name={{printf "%-6s|" $cfg.name}} replicas={{$cfg.replicas}} ratio={{printf "%.2f" $cfg.ratio}}',
        'home={{getenv "HOME_DIR" "/none"}} tags={{range $i, $t := $cfg.tags}}{{if $i}},{{end}}{{$t}}{{end}}',
        'port={{getv "/app/port"}}',
        '',
      ].join('\n'),
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ APP_CONFIG: '{"name":"web","replicas":3,"ratio":0.5,"tags":["a","b"]}', APP_PORT: '8080', HOME_DIR: '/srv' }) });
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('name=web   | replicas=3 ratio=0.50\nhome=/srv tags=a,b\nport=8080\n');
  });

  it('a key the env backend cannot provide ends --onetime at once with exit 3, naming its variable', async () => {
    const dir = makeConfdir({ 'conf.d/app.toml': '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n', 'templates/app.tmpl': '{{range gets "/app/*"}}{{.Key}}{{end}}{{getv "/app/port"}}\n' });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/app\.toml: missing \/app\/port \(set APP_PORT\)/);
    expect(existsSync(path.join(dir, 'out/app.conf'))).toBe(false);
  });

  it('a key read outside the resource keys is the same mistake as in Handlebars, not a wait', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/database"]\n', 'templates/a.tmpl': '{{- getv "/other/key" -}}\n' });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ OTHER_KEY: 'x' }) });
    // A literal read outside keys is refused at load, as for Handlebars (template/reads.ts): exit 2, nothing written.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.tmpl:1:\d+: `getv` reads \/other\/key, outside the keys of a\.toml \(\/database\); add "\/other\/key" to keys in a\.toml/);
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
  });

  it("an execution error is Go's, with the template's line and column, and fails only that resource", async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n',
      'templates/a.tmpl': 'x\n{{range $x := getvs "/app/*"}}{{index $x 5}}{{end}}\n',
      'conf.d/b.toml': '[template]\nsrc = "b.tmpl"\ndest = "out/b"\nkeys = ["/app"]\n',
      'templates/b.tmpl': '{{range getvs "/app/*"}}{{.}}{{end}}\n',
    });
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ APP_PORT: '80' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a.toml: render failed: template: a.tmpl:2:32: executing "a.tmpl" at <index $x 5>: error calling index: index out of range: 5');
    expect(existsSync(path.join(dir, 'out/a'))).toBe(false);
    expect(readFileSync(path.join(dir, 'out/b'), 'utf8')).toBe('80\n');
  });

  it('caches the parse tree by content: a second start renders from it, an edited template is parsed again', async () => {
    const cache = tempDir();
    const dir = makeConfdir({ 'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/app"]\n', 'templates/a.tmpl': '{{range gets "/app/*"}}{{.Value}}{{end}}\n' });
    const env = baseEnv({ APP_PORT: '80', KEYPLATE_CACHE_DIR: cache });
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    const entries = readdirSync(cache).filter((f) => f.startsWith('go-template-'));
    expect(entries).toHaveLength(1);
    const written = statSync(path.join(cache, entries[0])).mtimeMs;
    writeFileSync(path.join(dir, 'out/a'), 'stale\n');
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('80\n');
    expect(statSync(path.join(cache, entries[0])).mtimeMs).toBe(written);
    writeFileSync(path.join(dir, 'templates/a.tmpl'), '{{range gets "/app/*"}}[{{.Value}}]{{end}}\n');
    expect((await runCli(['--onetime', '--confdir', dir], { env })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe('[80]\n');
    expect(readdirSync(cache).filter((f) => f.startsWith('go-template-'))).toHaveLength(2);
  });
});
