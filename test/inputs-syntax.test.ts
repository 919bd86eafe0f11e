// Template syntax errors say what to change, at file:line:column, instead of the parser's grammar; confd's Go
// template syntax is named as such and points to the README's migration section.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, cleanupTemps, runCli } from './util.js';

afterEach(cleanupTemps);

const cases: Array<[string, string, string, RegExp]> = [
  // With no Handlebars block around it, such a template is Go (test/go-template/dialect.test.ts) and renders.
  ['}}} ending a JSON object', '{{#if true}}{"port": {{getv "/app/port"}}}{{/if}}\n', '1:40', /`\}\}\}` closes a triple-stash \(`\{\{\{…\}\}\}`\), but this tag opened with `\{\{`; add a space: `\}\} \}`/],
  ['{{{ closed by }}', '{{{getv "/app/port"}}\n', '1:20', /`\{\{\{` opens a triple-stash and needs `\}\}\}`/],
  ['an unclosed block', 'a\n{{#each (gets "/app/*")}}\n{{value}}\n', '2:1', /`\{\{#each\}\}` opened at line 2 is never closed; add `\{\{\/each\}\}`/],
  ['an inner block left open', '{{#if (exists "/app/port")}}\n{{#each (gets "/app/*")}}\n{{/if}}\n', '3:1', /`\{\{\/if\}\}` closes `\{\{#each\}\}`, opened at line 2; close `\{\{#each\}\}` with `\{\{\/each\}\}` first/],
  ['a close without an open', 'x\n{{/each}}\n', '2:1', /`\{\{\/each\}\}` closes a block that is not open/],
  ['an unterminated string', '{{getv "/app/port}}\n', '1:7', /a string is never closed/],
  ['an unclosed tag', 'port={{getv "/app/port"\n', '1:', /a `\{\{` is never closed: add `\}\}`/],
  ['Go: {{.Value}}', '{{#each (gets "/app/*")}}\n  {{.Value}}\n{{/each}}\n', '2:3', /`\{\{\.Value\}\}` is Go template syntax/],
  // Only Go syntax, read as Handlebars because the resource says so: the error says to say "go" instead.
  ['Go: {{range}} … {{end}}', 'x\n{{range gets "/app/*"}}{{.Value}}{{end}}\n', '2:1', /this looks like a Go template \(.*\), but engine = "handlebars" in .*app\.toml reads it as Handlebars; set engine = "go"/],
  ['Go: {{if exists …}}', '{{if exists "/app/port"}}y{{end}}\n', '1:1', /this looks like a Go template \(.*\), but engine = "handlebars" in .*app\.toml reads it as Handlebars; set engine = "go"/],
  ['Go: {{end}} alone', '{{#if (exists "/app/port")}}y{{end}}\n', '1:30', /`\{\{end\}\}` is Go template syntax/],
  ['Go: a variable', '{{$port := getv "/app/port"}}\n', '1:1', /this looks like a Go template \(.*\), but engine = "handlebars" in .*app\.toml reads it as Handlebars; set engine = "go"/],
  ['Go: a pipeline', '{{getv "/app/port" | toUpper}}\n', '1:1', /this looks like a Go template \(.*\), but engine = "handlebars" in .*app\.toml reads it as Handlebars; set engine = "go"/],
];

describe('template syntax errors in the user\'s terms', () => {
  it.each(cases)('%s: exit 2 at file:line:column, no parser grammar', async (_name, template, where, message) => {
    // These are Handlebars templates (said so: several would read as Go templates by default, see engine-choice.ts).
    const dir = appConfdir({ template, toml: 'engine = "handlebars"\n' });
    for (const args of [['--onetime', ...appFlags(dir)], ['check', ...appFlags(dir)]]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.stderr).toContain(`${path.join(dir, 'templates', 'app.tmpl')}:${where}`);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/Expecting|got '|CLOSE_UNESCAPED|OPEN_ENDBLOCK|\n\s+at /);
      if (/Go template syntax/.test(r.stderr)) expect(r.stderr).toMatch(/see "Migrating from confd" in the README/);
      expect(r.code).toBe(2);
    }
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it.each([
    ['a | inside a string', '{{getv "/app/port | x" "d"}}\n'],
    ['Go syntax in a comment', '{{!-- confd had {{range gets "/u/*"}}{{.Value}}{{end}} here --}}ok\n'],
    ['an escaped tag', '\\{{range}} is literal\n'],
    ['else if and block parameters', '{{#each (gets "/app/*") as |kv|}}{{#if (eq kv.value "x")}}a{{else if kv.key}}b{{/if}}{{/each}}\n'],
  ])('%s is Handlebars, not Go: renders', async (_name, template) => {
    // These are Handlebars templates (said so: several would read as Go templates by default, see engine-choice.ts).
    const dir = appConfdir({ template, toml: 'engine = "handlebars"\n' });
    const r = await runCli(['--onetime', ...appFlags(dir)], { cwd: dir });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
  });
});
