// Telling a Go template from a Handlebars one by its text, and the claim behind "both": a template valid in both
// renders the same bytes (and records the same keys) through the Go engine and keyplate's Handlebars helpers.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { registerHelpers } from '../../src/template/helpers/index.js';
import { compileGoTemplate, detectDialect } from '../../src/template/go/index.js';
import { caseNames, corpusDir, loadCase } from './corpus.js';
import { scopeFor } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const rows: Array<[template: string, dialect: string, evidence?: string]> = [
  // Valid in both, same output.
  ['listen 80;\nno tags at all { } }}\n', 'both'],
  ['{{getv "/app/name"}}', 'both'],
  ['{{getv "/missing" "default"}} {{getv "/nope"}}', 'both'],
  ['{{getv "/app/port" "1"}}:{{getv "/db/host"}}', 'both'],
  ['{{ toUpper (getv "/app/name") }} {{toLower "ABC"}}', 'both'],
  ['{{base "/a/b"}} {{dir "/a/b"}}', 'both'],
  ['{{printf "%s:%s" (getv "/db/host") (getv "/db/port")}}', 'both'],
  ['{{printf "%s=%d%%" "port" (atoi (getv "/app/port"))}}', 'both'],
  ['{{join (getvs "/upstream/*") ","}}', 'both'],
  ['{{join (split "a,b" ",") ";"}}', 'both'],
  ['{{getenv "HOME"}} {{getenv "NOPE" "x"}}', 'both'],
  ['{{exists "/app/name"}} {{exists "/nope"}}', 'both'],
  ['{{contains (getv "/app/name") "ho"}} {{trimSuffix "a.conf" ".conf"}}', 'both'],
  ['{{replace (getv "/db/host") "." "-" -1}}', 'both'],
  ['{{add (atoi (getv "/app/port")) 1}} {{sub 5 3}} {{mul 2 3}} {{len (getv "/app/name")}}', 'both'],
  ['{{eq (getv "/app/name") "shop"}} {{ne "a" "b"}} {{eq 1 1}}', 'both'],
  ['{{or (getv "/app/empty") "fallback"}} {{and "a" "b"}} {{not (getv "/app/empty")}}', 'both'],
  ['{{base64Encode "hi"}}', 'both'],
  // Go only.
  ['{{- getv "/a" -}}', 'go', '{{- getv "/a" -}}'],
  ['{{getv "/a" -}}', 'go', '{{getv "/a" -}}'],
  ['{{/* note */}}{{getv "/a"}}', 'go', '{{/* note */}}'],
  ['{{if exists "/a"}}x{{else}}y{{end}}', 'go', '{{if exists "/a"}}'],
  ['{{range gets "/u/*"}}{{.Value}}{{end}}', 'go', '{{range gets "/u/*"}}'],
  ['{{with get "/a"}}{{.Key}}{{end}}', 'go', '{{with get "/a"}}'],
  ['{{$x := getv "/a"}}{{$x}}', 'go', '{{$x := getv "/a"}}'],
  ['{{getv "/a" | toUpper}}', 'go', '{{getv "/a" | toUpper}}'],
  ['{{define "x"}}{{end}}{{template "x"}}', 'go', '{{define "x"}}'],
  ['{{block "x" .}}{{end}}', 'go', '{{block "x" .}}'],
  ['{{.}}', 'go', '{{.}}'],
  ['{{print `raw`}}', 'go', '{{print `raw`}}'],
  ['{{html (getv "/a")}}', 'go', '{{html (getv "/a")}}'],
  ['{{(get "/a").Value}}', 'go', '{{(get "/a").Value}}'],
  // Handlebars only.
  ['{{#if (exists "/a")}}x{{else}}y{{/if}}', 'handlebars', '{{#if (exists "/a")}}'],
  ['{{#each (gets "/u/*")}}{{value}}{{/each}}', 'handlebars', '{{#each (gets "/u/*")}}'],
  ['{{^if x}}y{{/if}}', 'handlebars', '{{^if x}}'],
  ['{{! a comment }}{{getv "/a"}}', 'handlebars', '{{! a comment }}'],
  ['{{!-- a {{comment}} --}}', 'handlebars', '{{!-- a {{comment}} --}}'],
  ['{{{getv "/a"}}}', 'handlebars', '{{{getv "/a"}}}'],
  ['{{> partial}}', 'handlebars', '{{> partial}}'],
  ['{{~getv "/a"~}}', 'handlebars', '{{~getv "/a"~}}'],
  ['{{name}}', 'handlebars', '{{name}}'],
  ['{{user.name}}', 'handlebars', '{{user.name}}'],
  ['{{printf "%s" \'single\'}}', 'handlebars', '{{printf "%s" \'single\'}}'],
  ['{{lookup this "x"}}', 'handlebars', '{{lookup this "x"}}'],
  ['{{getv key="x"}}', 'handlebars', '{{getv key="x"}}'],
  // Both languages' syntax: a mix, or a mistake.
  ['{{#each (gets "/u/*")}}{{.Value}}{{end}}', 'conflict'],
  ['{{if x}}a{{/if}}', 'conflict'],
  // Valid in both but printed differently: the caller's rule decides.
  ['{{getv "a"}}', 'undecided', '{{getv "a"}}'],
  ['{{ls "/"}}', 'undecided', '{{ls "/"}}'],
  ['{{split "a,b" ","}}', 'undecided', '{{split "a,b" ","}}'],
  ['{{datetime}}', 'undecided', '{{datetime}}'],
  ['{{json (getv "/j")}}', 'undecided', '{{json (getv "/j")}}'],
  ['{{"literal"}}', 'undecided', '{{"literal"}}'],
  ['{{getv "/a" 1}}', 'undecided', '{{getv "/a" 1}}'],
  ['{{else}}', 'undecided', '{{else}}'],
  // An integer past 2^53: exact in Go's int64, not in a JavaScript number.
  ['{{add 9007199254740993 0}}', 'undecided', '{{add 9007199254740993 0}}'],
  ['{{sub 0 9223372036854775807}}', 'undecided', '{{sub 0 9223372036854775807}}'],
  // A backslash before a tag: Go prints it and runs the action, Handlebars prints the tag as text.
  ['\\{{getv "/a"}}', 'undecided', '\\{{'],
  ['path=C:\\{{getv "/a/dir"}}\n', 'undecided', '\\{{'],
  ['C:\\{{getv "/a/dir"}} {{#each (gets "/u/*")}}{{value}}{{/each}}', 'handlebars', '{{#each (gets "/u/*")}}'],
  ['C:\\{{getv "/a/dir"}} {{range ls "/"}}{{.}}{{end}}', 'go', '{{range ls "/"}}'],
];

describe('detectDialect', () => {
  it.each(rows)('%s → %s', (template, dialect, evidence) => {
    const guess = detectDialect(template);
    expect(guess.dialect).toBe(dialect);
    const found = dialect === 'go' ? guess.go : dialect === 'handlebars' ? guess.handlebars : dialect === 'undecided' ? guess.differs : undefined;
    if (evidence !== undefined) expect(found?.construct).toBe(evidence);
  });

  it('an {{else}} belongs to the innermost open block', () => {
    expect(detectDialect('{{#if (exists "/a")}}{{else}}{{/if}}').dialect).toBe('handlebars');
    expect(detectDialect('{{if exists "/a"}}{{else}}{{end}}').dialect).toBe('go');
    expect(detectDialect('{{if exists "/a"}}{{#if x}}{{else}}{{/if}}{{end}}')).toMatchObject({ dialect: 'conflict' });
  });

  it('names the line and column of the deciding construct', () => {
    expect(detectDialect('a\nb\n{{getv "/x"}}\n{{range ls "/"}}{{.}}{{end}}').go).toEqual({ construct: '{{range ls "/"}}', line: 4, column: 1 });
    expect(detectDialect('a {{.}}').go).toEqual({ construct: '{{.}}', line: 1, column: 3 });
  });

  it('an unclosed tag still counts', () => expect(detectDialect('x {{- getv "/a"').dialect).toBe('go'));
});

describe('"both" renders the same in both engines', () => {
  const hb = Handlebars.create();
  registerHelpers(hb);
  it.each(rows.filter(([, d]) => d === 'both').map(([t]) => t))('%s', (template) => {
    const goScope = scopeFor();
    const hbScope = scopeFor();
    const go = compileGoTemplate('t', template).render(goScope);
    const hbOutput = hb.compile(template, { noEscape: true })({}, { data: { keyplate: hbScope } });
    expect(go).toEqual(hbScope.result(hbOutput));
  });
});

describe('real templates', () => {
  const corpus = corpusDir();
  it.runIf(corpus !== undefined)('every confd template of the corpus is Go', () => {
    const guesses = caseNames(corpus!).map((name) => {
      const c = loadCase(corpus!, name);
      return [name, detectDialect(c.templateText).dialect];
    });
    expect(guesses.filter(([, d]) => d !== 'go')).toEqual([]);
  });

  it("keyplate's own templates are Handlebars, or valid in both", () => {
    const dirs = ['templates-example/templates', 'test/fixtures/confd/templates'];
    const files = dirs.flatMap((d) => readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));
    const guesses = files.map((f) => [path.basename(f), detectDialect(readFileSync(f, 'utf8')).dialect]);
    expect(guesses.length).toBeGreaterThan(3);
    expect(guesses.filter(([, d]) => d !== 'handlebars' && d !== 'both')).toEqual([]);
  });
});

describe('a JSON object closing right after a tag', () => {
  it('is Go (Handlebars cannot parse `}}}` after a `{{` tag; Go reads the `}` as text)', () => {
    expect(detectDialect('{"port": {{getv "/p"}}}\n').dialect).toBe('go');
    expect(detectDialect('{"a": {"port": {{getv "/p"}}}}\n').dialect).toBe('go');
    expect(detectDialect('{{{getv "/p"}}}').dialect).not.toBe('go');
  });
});
