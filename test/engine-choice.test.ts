// The rule that picks a template's engine (src/template/engine-choice.ts), table-driven: what forces an engine,
// what the syntax says, the default where both languages read a text differently, and the mistaken-engine error.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { chooseEngine, otherEngineHint, type ForcedEngine } from '../src/template/engine-choice.js';

const go = '{{range gets "/a/*"}}{{.Value}}{{end}}';
const handlebars = '{{#each (gets "/a/*")}}{{value}}{{/each}}';
const both = 'port={{getv "/app/port"}}';
const differs = '{{ls "/"}}';
const conflict = `${go}\n${handlebars}`;
const field: ForcedEngine = { engine: 'go', resourceFile: 'conf.d/a.toml' };

describe('chooseEngine', () => {
  it.each([
    ['Go syntax', 'a.tmpl', go, undefined, 'go', /^Go syntax at line 1, \{\{range gets "\/a\/\*"\}\}$/],
    ['Handlebars syntax', 'a.tmpl', handlebars, undefined, 'handlebars', /^Handlebars syntax at line 1/],
    ['valid in both, the same output', 'a.tmpl', both, undefined, 'handlebars', /^valid in both languages with the same output$/],
    ['read differently: Go by default', 'a.tmpl', differs, undefined, 'go', /rendered differently by each \(line 1, \{\{ls "\/"\}\}\); Go, confd's language, is the default/],
    ['read differently, .hbs', 'a.hbs', differs, undefined, 'handlebars', /Handlebars by its file extension$/],
    ['read differently, .handlebars', 'a.conf.handlebars', differs, undefined, 'handlebars', /Handlebars by its file extension$/],
    ['syntax of both: Go by default', 'a.tmpl', conflict, undefined, 'go', /^syntax of both languages \(Go at line 1, .*; Handlebars at line 2, .*\); Go/],
    ['syntax of both, .mustache', 'a.mustache', conflict, undefined, 'handlebars', /Handlebars by its file extension$/],
    ['the field, agreeing', 'a.tmpl', go, field, 'go', /^set by engine = "go" in conf\.d\/a\.toml$/],
    ['the field over a text both read alike', 'a.tmpl', both, field, 'go', /^set by engine = "go"/],
    ['the setting over the default', 'a.tmpl', differs, { engine: 'handlebars' }, 'handlebars', /^set by template_engine = handlebars$/],
    ['the setting for a mix (the user decides)', 'a.tmpl', conflict, { engine: 'handlebars' }, 'handlebars', /^set by template_engine/],
  ] as const)('%s', (_, file, text, forced, engine, why) => {
    const choice = chooseEngine(file, text, forced);
    expect(choice.engine).toBe(engine);
    expect(choice.why).toMatch(why);
    expect(choice.guessed ?? false).toBe(/default|extension/.test(choice.why));
  });

  it.each([
    ['Go syntax forced to Handlebars by the field', go, { engine: 'handlebars', resourceFile: 'conf.d/a.toml' }, 'a.tmpl:1:1: this looks like a Go template ({{range gets "/a/*"}}), but engine = "handlebars" in conf.d/a.toml reads it as Handlebars; set engine = "go" in conf.d/a.toml'],
    ['Handlebars syntax forced to Go by the setting', `x\n${handlebars}`, { engine: 'go' }, 'a.tmpl:2:1: this looks like a Handlebars template ({{#each (gets "/a/*")}}), but template_engine = go reads it as Go; set engine = "handlebars" in its resource, or template_engine = auto'],
  ] as const)('%s: a ConfigError naming file:line', (_, text, forced, message) => {
    expect(() => chooseEngine('a.tmpl', text, forced)).toThrow(ConfigError);
    expect(() => chooseEngine('a.tmpl', text, forced)).toThrow(message);
  });
});

describe('otherEngineHint', () => {
  it('names the other language when the text has its syntax, and nothing otherwise', () => {
    expect(otherEngineHint(conflict, 'go')).toBe(' (this template has Handlebars syntax at line 2, {{#each (gets "/a/*")}}: if it is a Handlebars template, set engine = "handlebars" in its resource)');
    expect(otherEngineHint(conflict, 'handlebars')).toContain('Go syntax at line 1');
    expect(otherEngineHint(go, 'go')).toBe('');
    expect(otherEngineHint(both, 'handlebars')).toBe('');
  });
});
