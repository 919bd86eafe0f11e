// The engine's interface for the integration: compile once (a parse tree that survives JSON, for the template
// cache), render against any number of scopes, the functions a template calls, and DNS lookups deferred to a
// promise exactly as the Handlebars path defers them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { GoTemplateSyntaxError, compileGoTemplate, goFunctionNames, loadGoTemplate } from '../../src/template/go/index.js';
import { scopeFor } from './harness.js';

const TEXT = [
  '{{define "line"}}{{.Key}}={{.Value}}{{end}}',
  '{{range gets "/upstream/*"}}{{template "line" .}};{{end}}',
  '{{9223372036854775807}} {{-9223372036854775808}} {{0xFF}} {{1.5e3}} {{2i}} {{\'x\'}}',
  '{{$p := atoi (getv "/app/port")}}{{add $p 1}} {{printf "%05.1f|%-4s|%x" 3.14159 "ab" 255}}',
  '{{index "hi" 5}}',
].join('\n');

describe('compile once, render many', () => {
  it('one compiled template renders any scope', () => {
    const t = compileGoTemplate('app.tmpl', '{{getv "/name"}}');
    expect(t.name).toBe('app.tmpl');
    expect(t.render(scopeFor({ keys: { '/name': 'a' } }))).toMatchObject({ output: 'a', missingKeys: [] });
    expect(t.render(scopeFor({ keys: { '/name': 'b' } }))).toMatchObject({ output: 'b', missingKeys: [] });
    expect(t.render(scopeFor({ keys: {} }))).toMatchObject({ output: '', missingKeys: ['/name'], usedKeys: ['/name'] });
  });

  it('the result has the shape of the Handlebars path (RenderScope.result)', () => {
    const r = compileGoTemplate('t', '{{getv "/a/b"}}{{gets "/a/*"}}{{ls "/a"}}').render(scopeFor({ keys: { '/a/b': 'x' } }));
    expect(r).toEqual({ output: 'x[{/a/b x}][b]', usedKeys: ['/a/b'], usedPatterns: ['/a/*'], usedDirs: ['/a'], missingKeys: [] });
  });

  it('lists the functions a template calls, for `keyplate check`', () => {
    const t = compileGoTemplate('t', '{{getv "/a" | toUpper}}{{define "x"}}{{base (printf "%s" "y")}}{{end}}{{if eq 1 1}}{{end}}');
    expect(t.functions).toEqual(['base', 'eq', 'getv', 'printf', 'toUpper']);
  });

  it('lists the store reads written with a literal argument, with line and column (pipes pass computed keys)', () => {
    const t = compileGoTemplate('t', '{{getv "/a"}}\n  {{range gets "/b/*"}}{{ls "/c"}}{{end}}{{printf "/d" | getv}}{{exists (print "/e")}}\n{{define "x"}}{{lsdir "rel"}}{{end}}');
    expect(t.reads).toEqual([
      { helper: 'getv', arg: '/a', line: 1, column: 3 },
      { helper: 'gets', arg: '/b/*', line: 2, column: 11 },
      { helper: 'ls', arg: '/c', line: 2, column: 26 },
      { helper: 'lsdir', arg: 'rel', line: 3, column: 17 },
    ]);
    expect(loadGoTemplate(JSON.stringify(t)).reads).toEqual(t.reads);
  });

  it('a syntax error says where the parser stopped: line and column', () => {
    const error = (() => {
      try {
        compileGoTemplate('x.tmpl', 'a\n  {{range gets "/x/*"}}{{getvv "/y"}}{{end}}');
      } catch (e) {
        return e as GoTemplateSyntaxError;
      }
    })();
    expect(error?.message).toBe('template: x.tmpl:2: function "getvv" not defined');
    expect(error?.where).toEqual({ line: 2, column: 26 });
  });

  it('knows every function of confd 0.17 and of text/template', () => {
    expect(goFunctionNames).toEqual([
      'add', 'and', 'atoi', 'base', 'base64Decode', 'base64Encode', 'call', 'contains', 'datetime', 'dir', 'div', 'eq', 'exists',
      'fileExists', 'ge', 'get', 'getenv', 'gets', 'getv', 'getvs', 'gt', 'html', 'index', 'join', 'js', 'json', 'jsonArray', 'le',
      'len', 'lookupIP', 'lookupIPV4', 'lookupIPV6', 'lookupSRV', 'ls', 'lsdir', 'lt', 'map', 'mod', 'mul', 'ne', 'not', 'or',
      'parseBool', 'print', 'printf', 'println', 'replace', 'reverse', 'seq', 'slice', 'sortByLength', 'sortKVByLength', 'split',
      'sub', 'toLower', 'toUpper', 'trimSuffix', 'urlquery',
    ]);
  });

  it('a syntax error is a ConfigError (exit 2) with Go\'s message', () => {
    expect(() => compileGoTemplate('x.tmpl', '{{if}}')).toThrow(GoTemplateSyntaxError);
    expect(() => compileGoTemplate('x.tmpl', '{{if}}')).toThrow(ConfigError);
    expect(() => compileGoTemplate('x.tmpl', '{{nope}}')).toThrow('template: x.tmpl:1: function "nope" not defined');
  });
});

describe('the compiled form is JSON', () => {
  it('renders identically, errors included, after a trip through JSON', () => {
    const original = compileGoTemplate('app.tmpl', TEXT.replace('{{index "hi" 5}}', ''));
    const json = JSON.stringify(original);
    const copy = loadGoTemplate(json);
    expect(copy.name).toBe('app.tmpl');
    expect(copy.functions).toEqual(original.functions);
    const a = original.render(scopeFor());
    expect(a).toEqual(copy.render(scopeFor()));
    expect((a as { output: string }).output).toContain('9223372036854775807 -9223372036854775808 255 1500 (0+2i) 120');
    const failing = loadGoTemplate(JSON.stringify(compileGoTemplate('app.tmpl', TEXT)));
    expect(() => failing.render(scopeFor())).toThrow('template: app.tmpl:5:2: executing "app.tmpl" at <index "hi" 5>: error calling index: index out of range: 5');
  });

  it('refuses JSON that is not a compiled template', () => {
    expect(() => loadGoTemplate('{"format":"other"}')).toThrow('not a compiled Go template (format other)');
  });
});

describe('DNS lookups', () => {
  it('a lookup makes the render asynchronous, then answers from the resolved lookups', async () => {
    const scope = scopeFor();
    const pending = compileGoTemplate('t', '{{range lookupIPV4 "localhost"}}{{.}} {{end}}|{{len (lookupIPV6 "localhost")}}').render(scope);
    expect(pending).toBeInstanceOf(Promise);
    const result = await pending;
    expect(result.output).toMatch(/^127\.0\.0\.1 \|\d$/);
    expect(scope.lookups.has('ip4:localhost')).toBe(true);
    expect(scope.hasPendingLookups()).toBe(false);
  });

  it('a failure caused by an unanswered lookup is retried once the answers are in', async () => {
    const result = await compileGoTemplate('t', '{{index (lookupIPV4 "localhost") 0}}').render(scopeFor());
    expect(result.output).toBe('127.0.0.1');
  });

  it('without lookups, the render is synchronous', () => {
    expect(compileGoTemplate('t', '{{getv "/app/name"}}').render(scopeFor())).not.toBeInstanceOf(Promise);
  });
});
