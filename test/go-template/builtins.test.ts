// text/template's predefined functions with Go 1.19's results (from Go's exec_test.go execTests and cmpTests).
import { describe, expect, it } from 'vitest';
import { render } from './harness.js';

type Row = [name: string, template: string, expected: string];
const table = (rows: Row[]): void => {
  it.each(rows)('%s', (_name, template, expected) => expect(render(template)).toBe(expected));
};
const fails = (col: number, node: string, message: string): string => `error: template: t:1:${col}: executing "t" at <${node}>: ${message}`;

describe('and, or, not', () => {
  table([
    ['not', '{{not true}} {{not false}} {{not ""}} {{not "a"}} {{not 0}} {{not .}}', 'false true true false true true'],
    ['and returns the first empty operand or the last', '{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}', 'false 0 0 1'],
    ['or returns the first non-empty operand or the last', '{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}', '0 1 true 1'],
    ['or as a default', '{{or (getv "/app/empty") "fallback"}} {{or (ls "/nope") "none"}}', 'fallback none'],
    ['or keeps a list', '{{or (split "a,b" ",") "x"}}', '[a b]'],
    ['and in if', '{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}', 'TRUE'],
    ['a pipe into not', '{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['and short-circuits: the failing call is never made', '{{and false (atoi "x")}} {{or true (atoi "x")}}', 'false true'],
    ['a piped value is the last operand', '{{true | and "x"}} {{false | and "x"}} {{"" | or "x"}}', 'true false x'],
    ['and builds a separator (confd corpus 26)', '{{printf "%s%s%s" "a" (and "b" ",") "b"}}', 'a,b'],
  ]);
  it('and/or need an operand', () => expect(render('{{and}}')).toBe(fails(2, 'and', 'wrong number of args for and: want at least 1 got 0')));
});

describe('comparisons', () => {
  table([
    ['eq on every basic kind', '{{eq true true}} {{eq true false}} {{eq 1+2i 1+2i}} {{eq 1.5 1.5}} {{eq 1 1}} {{eq 1 2}} {{eq `xy` `xy`}} {{eq `xy` `xyz`}}', 'true false true true true false true false'],
    ['eq with several arguments', '{{eq 3 4 5 6 3}} {{eq 3 4 5 6 7}}', 'true false'],
    ['ne', '{{ne true true}} {{ne 1.5 2.5}} {{ne 1 1}} {{ne `xy` `xyz`}}', 'false true false true'],
    ['lt', '{{lt 1.5 1.5}} {{lt 1.5 2.5}} {{lt 1 2}} {{lt `xy` `xyz`}} {{lt "10" "9"}}', 'false true true true true'],
    ['le', '{{le 1.5 1.5}} {{le 2.5 1.5}} {{le 1 2}} {{le `xyz` `xy`}}', 'true false true false'],
    ['gt', '{{gt 2 1}} {{gt 1 2}} {{gt `xy` `xy`}} {{gt 2.5 1.5}}', 'true false false true'],
    ['ge', '{{ge 1 1}} {{ge 1 2}} {{ge `xyz` `xy`}}', 'true false true'],
    ['strings compare by bytes', '{{lt "Z" "a"}} {{lt "é" "z"}} {{gt "10.0.5.9" "10.0.5.11"}}', 'true false true'],
    ['a byte compares with a rune constant', "{{eq (index `x` 0) 'x'}} {{eq (index `x` 0) 'y'}} {{lt (index `a` 0) 98}}", 'true false true'],
    ['int64 and int are both integers', '{{with datetime}}{{eq .Unix .Unix}} {{lt 0 .Unix}}{{end}}', 'true true'],
    ['no value equals no value, and nothing else', '{{eq .X .Y}} {{eq .X "a"}} {{eq "a" .X}}', 'true false false'],
    ['pairs compare field by field', '{{eq (get "/top") (get "/top")}} {{eq (get "/top") (get "/app/name")}}', 'true false'],
    ['comparing numbers from atoi (confd idiom)', '{{if gt (atoi (getv "/app/port")) 1024}}high{{end}}', 'high'],
  ]);
  it.each([
    ['eq `xy` 1', 5, '`xy`', 'eq', 'incompatible types for comparison'],
    ['eq 2 2.0', 5, '2', 'eq', 'incompatible types for comparison'],
    ['eq "8080" 8080', 5, '"8080"', 'eq', 'incompatible types for comparison'],
    ['lt true true', 5, 'true', 'lt', 'invalid type for comparison'],
    ['lt 1+0i 1+0i', 5, '1+0i', 'lt', 'invalid type for comparison'],
    ['lt .X 1', 5, '.X', 'lt', 'invalid type for comparison'],
    ['eq 1', 5, '1', 'eq', 'missing argument for comparison'],
    ['eq (split "a" ",") "a"', 5, '"a"', 'eq', 'uncomparable type []string: [a]'],
    ['gt "a" 1', 5, '"a"', 'gt', 'incompatible types for comparison'],
  ])('{{if %s}} is an error', (expr, _col, _node, fn, message) => {
    const out = render(`{{if ${expr}}}x{{end}}`);
    expect(out).toBe(fails(5, `${expr}`, `error calling ${fn}: ${message}`));
  });
});

describe('len, index, slice', () => {
  table([
    ['len of a string counts bytes', '{{len "héllo"}} {{len ""}}', '6 0'],
    ['len of a list and a map', '{{len (split "a,b,c" ",")}} {{len (json `{"a":1,"b":2}`)}} {{len (ls "/nope")}}', '3 2 0'],
    ['index a list', '{{index (split "a,b,c" ",") 1}}', 'b'],
    ['index a string gives a byte', '{{index "abc" 1}} {{printf "%c" (index "abc" 1)}}', '98 b'],
    ['index a map', '{{index (json `{"a":"x"}`) "a"}}', 'x'],
    ['index a map with a missing key', '{{index (json `{"a":"x"}`) "b"}} {{index (json `{"a":"x"}`) ""}}', '<no value> <no value>'],
    ['index with several indexes', '{{index (json `{"a":["x","y"]}`) "a" 1}}', 'y'],
    ['index with no index', '{{index "abc"}}', 'abc'],
    ['index of a JSON path with a slash (corpus 19)', '{{index (json `{"80/tcp":[{"HostPort":"8080"}]}`) "80/tcp"}}', '[map[HostPort:8080]]'],
    ['slice a string by bytes', '{{slice "abcdef" 1 3}} {{slice "abcdef" 2}} {{slice "abcdef"}}', 'bc cdef abcdef'],
    ['slice a list', '{{slice (split "a,b,c" ",") 1}} {{slice (split "a,b,c" ",") 1 2}} {{slice (split "a,b,c" ",") 0 1 2}}', '[b c] [b] [a]'],
    ['slice keeps memkv.KVPairs', '{{printf "%T" (slice (gets "/upstream/*") 1)}}', 'memkv.KVPairs'],
  ]);
  it.each([
    ['{{len 3}}', 'len 3', 'len', 'len of type int'],
    ['{{len .X}}', 'len .X', 'len', 'reflect: call of reflect.Value.Type on zero Value'],
    ['{{len (index (json `{"a":null}`) "a")}}', 'len (index (json `{"a":null}`) "a")', 'len', 'reflect: call of reflect.Value.Type on zero Value'],
    ['{{index "hi" 5}}', 'index "hi" 5', 'index', 'index out of range: 5'],
    ['{{index "hi" 2}}', 'index "hi" 2', 'index', 'reflect: string index out of range'],
    ['{{index (split "a" ",") 1}}', 'index (split "a" ",") 1', 'index', 'reflect: slice index out of range'],
    ['{{index (split "a" ",") -1}}', 'index (split "a" ",") -1', 'index', 'index out of range: -1'],
    ['{{index (split "a" ",") "x"}}', 'index (split "a" ",") "x"', 'index', 'cannot index slice/array with type string'],
    ['{{index (split "a" ",") nil}}', 'index (split "a" ",") nil', 'index', 'cannot index slice/array with nil'],
    ['{{index (json `{}`) 1}}', 'index (json `{}`) 1', 'index', 'value has type int; should be string'],
    ['{{index (json `{}`) nil}}', 'index (json `{}`) nil', 'index', 'value is nil; should be of type string'],
    ['{{index nil 1}}', 'index nil 1', 'index', 'index of untyped nil'],
    ['{{index 1 0}}', 'index 1 0', 'index', "can't index item of type int"],
    ['{{slice 1}}', 'slice 1', 'slice', "can't slice item of type int"],
    ['{{slice nil}}', 'slice nil', 'slice', 'slice of untyped nil'],
    ['{{slice "abc" 1 2 3}}', 'slice "abc" 1 2 3', 'slice', 'cannot 3-index slice a string'],
    ['{{slice "abc" 2 1}}', 'slice "abc" 2 1', 'slice', 'invalid slice index: 2 > 1'],
    ['{{slice "abc" 4}}', 'slice "abc" 4', 'slice', 'index out of range: 4'],
    ['{{slice (split "a,b" ",") 0 2 1}}', 'slice (split "a,b" ",") 0 2 1', 'slice', 'invalid slice index: 2 > 1'],
    ['{{slice (split "a" ",") 1 1 1 1}}', 'slice (split "a" ",") 1 1 1 1', 'slice', 'too many slice indexes: 4'],
  ])('%s fails', (template, node, fn, message) => expect(render(template)).toBe(fails(2, node, `error calling ${fn}: ${message}`)));
});

describe('print, printf, println', () => {
  table([
    ['print', '{{print "hello, print"}}', 'hello, print'],
    ['print puts spaces only between non-strings', '{{print 1 2 3}}|{{print "a" "b"}}|{{print "a" 1 2 "b"}}|{{print 1 "a" 2}}', '1 2 3|ab|a1 2b|1a2'],
    ['print nil and no value', '{{print nil}} {{print .X}}', '<nil> <nil>'],
    ['println', '{{println 1 2 3}}', '1 2 3\n'],
    ['println spaces between strings too', '{{println "a" "b"}}', 'a b\n'],
    ['printf int', '{{printf "%04x" 127}}', '007f'],
    ['printf float', '{{printf "%g" 3.5}}', '3.5'],
    ['printf complex', '{{printf "%g" 1+7i}}', '(1+7i)'],
    ['printf string', '{{printf "%s" "hello"}}', 'hello'],
    ['printf of a function result', '{{printf "%s" (getv "/app/name")}}', 'shop'],
    ['printf with dot', '{{with 17}}{{printf "%d" .}}{{end}}', '17'],
    ['printf lots', '{{printf "%d %s %g %s" 127 "hello" 7-3i (base "/a/b")}}', '127 hello (7-3i) b'],
    ['a piped format argument', '{{"aaa" | printf}}', 'aaa'],
    ['a piped complex', '{{1+2i | printf "%v"}}', '(1+2i)'],
    ['printf builds keys (confd idiom)', '{{printf "/upstream/%s" "a" | getv}}', '10.0.0.11:80'],
  ]);
});

describe('html, js, urlquery, call', () => {
  table([
    ['html', '{{html "<script>alert(\\"XSS\\");</script>"}}', '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;'],
    ['html of a pipeline', '{{printf "<a href=\'%s\'>" "x&y" | html}}', '&lt;a href=&#39;x&amp;y&#39;&gt;'],
    ['html joins like print, no value as <no value>', '{{html 1 2 "a" .X}}', '1 2a&lt;no value&gt;'],
    ['js', "{{js \"It'd be nice.\"}}", "It\\'d be nice."],
    ['js escapes quotes, backslashes and angle brackets', '{{js "Go \\"jump\\" \\\\ <html> & ="}}', 'Go \\"jump\\" \\\\ \\u003Chtml\\u003E \\u0026 \\u003D'],
    ['js keeps printable unicode', '{{js "今日は\\u00a0\\t"}}', '今日は\\u00A0\\u0009'],
    ['urlquery', '{{"http://www.example.org/"|urlquery}}', 'http%3A%2F%2Fwww.example.org%2F'],
    ['urlquery of several values', '{{urlquery "a b" "c~d"}}', 'a+bc~d'],
  ]);
  it.each([
    ['{{call nil}}', 'call nil', 'call of nil'],
    ['{{call .X}}', 'call .X', 'call of nil'],
    ['{{call "x" 1}}', 'call "x" 1', 'non-function of type string'],
    ['{{call (getv "/top")}}', 'call (getv "/top")', 'non-function of type string'],
  ])('%s: confd data has no functions to call', (template, node, message) => expect(render(template)).toBe(fails(2, node, `error calling call: ${message}`)));
});
