// Which engine renders a template, as a user meets it: detection with no setting, the resource's engine field,
// template_engine (flag, KEYPLATE_TEMPLATE_ENGINE, keyplate.toml), a Handlebars extension, what `keyplate check`
// says, the errors for a mistaken engine, a typo or a bad value, and that a Handlebars-only start never evaluates
// the Go engine (V8's coverage of the bundle).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, root, runCli, tempDir } from './util.js';

afterEach(cleanupTemps);

const resource = (src: string, extra = ''): string => `[template]\nsrc = "${src}"\ndest = "out/${src}"\nkeys = ["/app"]\n${extra}`;
// Valid in both languages, rendered differently: Go prints a slice as [1 2 3], Handlebars an array as 1,2,3.
const either = '{{seq 1 3}}\n';
const goTemplate = '{{range gets "/app/*"}}{{base .Key}}={{.Value}}\n{{end}}';
const handlebarsTemplate = '{{#each (gets "/app/*")}}{{base key}}={{value}}\n{{/each}}';
const env = baseEnv({ APP_PORT: '80' });
const out = (dir: string, name: string): string => readFileSync(path.join(dir, 'out', name), 'utf8');

describe('choosing the engine', () => {
  it('with no setting: Go syntax → Go, Handlebars syntax → Handlebars, side by side in one confdir', async () => {
    const dir = makeConfdir({ 'conf.d/go.toml': resource('go.tmpl'), 'templates/go.tmpl': goTemplate, 'conf.d/hb.toml': resource('hb.tmpl'), 'templates/hb.tmpl': handlebarsTemplate });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(0);
    expect(out(dir, 'go.tmpl')).toBe('port=80\n');
    expect(out(dir, 'hb.tmpl')).toBe('port=80\n');
  });

  it('valid in both but read differently: Go (confd) by default, said once at start; Handlebars for .hbs', async () => {
    const dir = makeConfdir({ 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': either, 'conf.d/b.toml': resource('b.hbs'), 'templates/b.hbs': either });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.code).toBe(0);
    expect(out(dir, 'a.tmpl')).toBe('[1 2 3]\n');
    expect(out(dir, 'b.hbs')).toBe('1,2,3\n');
    expect(r.stderr).toContain("a.tmpl: read as a Go template: valid in both languages but rendered differently by each (line 1, {{seq 1 3}}); Go, confd's language, is the default");
    expect(r.stderr).toContain('b.hbs: read as a Handlebars template: valid in both languages but rendered differently by each (line 1, {{seq 1 3}}); Handlebars by its file extension');
  });

  it('the resource field and template_engine (flag, environment, keyplate.toml) choose; the field wins', async () => {
    const files = { 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': either, 'conf.d/b.toml': resource('b.tmpl', 'engine = "go"\n'), 'templates/b.tmpl': either };
    const cases: Array<[string, string[], Record<string, string>, Record<string, string>]> = [
      ['flag', ['--template-engine', 'handlebars'], {}, {}],
      ['environment', [], { KEYPLATE_TEMPLATE_ENGINE: 'handlebars' }, {}],
      ['keyplate.toml', [], {}, { 'keyplate.toml': 'template_engine = "handlebars"\n' }],
    ];
    for (const [how, flags, vars, extra] of cases) {
      const dir = makeConfdir({ ...files, ...extra });
      const r = await runCli(['--onetime', '--confdir', dir, ...flags], { env: { ...env, ...vars } });
      expect(r.code, how).toBe(0);
      expect(out(dir, 'a.tmpl'), how).toBe('1,2,3\n');
      expect(out(dir, 'b.tmpl'), how).toBe('[1 2 3]\n');
      expect(r.stderr, how).not.toContain('read as');
    }
  });

  it('keyplate check prints each template’s engine and why, and a Go template’s used and missing keys', async () => {
    const dir = makeConfdir({
      'conf.d/go.toml': resource('go.tmpl'),
      'templates/go.tmpl': `${goTemplate}{{getv "/app/host"}}\n`,
      'conf.d/hb.toml': resource('hb.tmpl'),
      'templates/hb.tmpl': handlebarsTemplate,
      'conf.d/both.toml': resource('both.tmpl'),
      'templates/both.tmpl': 'port={{getv "/app/port"}}\n',
      'conf.d/forced.toml': resource('forced.tmpl', 'engine = "handlebars"\n'),
      'templates/forced.tmpl': either,
    });
    const r = await runCli(['check', '--confdir', dir], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`go.toml → ${dir}/out/go.tmpl: uses /app/host, /app/*; missing: /app/host (set APP_HOST)\n  go.tmpl: engine go (Go syntax at line 1, {{range gets "/app/*"}})\n`);
    expect(r.stdout).toContain('  hb.tmpl: engine handlebars (Handlebars syntax at line 1, {{#each (gets "/app/*")}})\n');
    expect(r.stdout).toContain('  both.tmpl: engine handlebars (valid in both languages with the same output)\n');
    expect(r.stdout).toContain(`  forced.tmpl: engine handlebars (set by engine = "handlebars" in ${dir}/conf.d/forced.toml)\n`);
    expect(r.stderr).toMatch(/keys are missing, so these resources would wait:\ngo\.toml: missing \/app\/host \(set APP_HOST\)/);
  });
});

describe('a mistaken engine, a typo or a bad value: exit 2 naming where, nothing written', () => {
  const refused = async (files: Record<string, string>, args: string[] = [], vars: Record<string, string> = {}) => {
    const dir = makeConfdir(files);
    const r = await runCli(['--onetime', '--confdir', dir, ...args], { env: { ...env, ...vars } });
    expect(r.code).toBe(2);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    return { dir, stderr: r.stderr };
  };

  it('a Go template forced through Handlebars, by the field or the setting', async () => {
    const text = `# haproxy\n${goTemplate}`;
    const byField = await refused({ 'conf.d/a.toml': resource('a.tmpl', 'engine = "handlebars"\n'), 'templates/a.tmpl': text });
    expect(byField.stderr).toContain(
      `${byField.dir}/templates/a.tmpl:2:1: this looks like a Go template ({{range gets "/app/*"}}), but engine = "handlebars" in ${byField.dir}/conf.d/a.toml reads it as Handlebars; set engine = "go" in ${byField.dir}/conf.d/a.toml`,
    );
    const bySetting = await refused({ 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': text }, ['--template-engine', 'handlebars']);
    expect(bySetting.stderr).toContain('a.tmpl:2:1: this looks like a Go template ({{range gets "/app/*"}}), but template_engine = handlebars reads it as Handlebars; set engine = "go" in its resource, or template_engine = auto');
  });

  it('a Handlebars template forced through Go', async () => {
    const { dir, stderr } = await refused({ 'conf.d/a.toml': resource('a.tmpl', 'engine = "go"\n'), 'templates/a.tmpl': handlebarsTemplate });
    expect(stderr).toContain(`${dir}/templates/a.tmpl:1:1: this looks like a Handlebars template ({{#each (gets "/app/*")}}), but engine = "go" in ${dir}/conf.d/a.toml reads it as Go; set engine = "handlebars"`);
  });

  it('an unknown function in a Go template, at load, with file:line:column', async () => {
    const { dir, stderr } = await refused({ 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': 'global\n  {{range lsdirr "/app"}}{{.}}{{end}}\n' });
    expect(stderr).toContain(`${dir}/templates/a.tmpl:2:11: Go template syntax error: template: a.tmpl:2: function "lsdirr" not defined`);
  });

  it('a Go syntax error in a template with Handlebars syntax too says which engine to set', async () => {
    const { stderr } = await refused({ 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': '{{range gets "/app/*"}}{{.Key}}{{end}}\n{{#if x}}y{{/if}}\n' });
    expect(stderr).toMatch(/a\.tmpl:2:\d+: Go template syntax error: template: a\.tmpl:2: .*\(this template has Handlebars syntax at line 2, \{\{#if x\}\}: if it is a Handlebars template, set engine = "handlebars" in its resource\)/);
  });

  it('engine = another value names the resource file and line', async () => {
    const { dir, stderr } = await refused({ 'conf.d/a.toml': resource('a.tmpl', '# the language\nengine = "jinja"\n'), 'templates/a.tmpl': goTemplate });
    expect(stderr).toContain(`${dir}/conf.d/a.toml:6: engine must be "go" (confd's Go text/template) or "handlebars", got \`jinja\` (string)`);
  });

  it('template_engine = another value names the setting', async () => {
    const files = { 'conf.d/a.toml': resource('a.tmpl'), 'templates/a.tmpl': goTemplate };
    expect((await refused(files, ['--template-engine', 'jinja'])).stderr).toContain('flag --template-engine: expected one of auto, go, handlebars, got `jinja` (string)');
    expect((await refused(files, [], { KEYPLATE_TEMPLATE_ENGINE: 'Go' })).stderr).toContain('environment KEYPLATE_TEMPLATE_ENGINE: expected one of auto, go, handlebars');
  });
});

/** The scripts of dist/ that V8 loaded during a start of keyplate with `args` (from its coverage output). */
function scriptsLoaded(args: string[], cacheDir: string): string[] {
  const coverage = tempDir();
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'keyplate.cjs'), ...args], { env: { ...env, KEYPLATE_CACHE_DIR: cacheDir, NODE_V8_COVERAGE: coverage }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const urls = readdirSync(coverage).flatMap((f) => (JSON.parse(readFileSync(path.join(coverage, f), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url));
  return urls.filter((url) => url.includes('/dist/')).map((url) => path.basename(url)).sort();
}

describe('the start path', () => {
  it('a Handlebars-only start never loads the Go engine (dist/keyplate-go.cjs); a Go template does', () => {
    expect(existsSync(path.join(root, 'dist', 'keyplate-go.cjs'))).toBe(true);
    const handlebars = makeConfdir({ 'conf.d/hb.toml': resource('hb.tmpl'), 'templates/hb.tmpl': handlebarsTemplate });
    const cache = tempDir();
    // The first start decides the engine (the rule travels with the Go engine); the next ones read the decision.
    expect(scriptsLoaded(['--onetime', '--confdir', handlebars], cache)).toContain('keyplate-go.cjs');
    const steady = scriptsLoaded(['--onetime', '--confdir', handlebars], cache);
    expect(steady).toContain('keyplate-main.cjs');
    expect(steady).not.toContain('keyplate-go.cjs');
    const go = makeConfdir({ 'conf.d/go.toml': resource('go.tmpl'), 'templates/go.tmpl': goTemplate });
    expect(scriptsLoaded(['--onetime', '--confdir', go], cache)).toContain('keyplate-go.cjs');
    expect(scriptsLoaded(['--onetime', '--confdir', go], cache)).toContain('keyplate-go.cjs');
  });
});
