// confd 0.17's template functions (resource/template/template_funcs.go) besides the key store, with the output
// of the Go functions they wrap (path, strings, strconv, encoding/json, encoding/base64, os, time, sort).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from './harness.js';

type Row = [name: string, template: string, expected: string];
const table = (rows: Row[]): void => {
  it.each(rows)('%s', (_name, template, expected) => expect(render(template)).toBe(expected));
};
const fails = (col: number, node: string, fn: string, message: string): string =>
  `error: template: t:1:${col}: executing "t" at <${node}>: error calling ${fn}: ${message}`;

describe('paths and strings', () => {
  table([
    ['base (path.Base)', '{{base "/a/b/"}} {{base ""}} {{base "/"}} {{base "a"}} {{base "/a/b.conf"}}', 'b . / a b.conf'],
    ['dir (path.Dir)', '{{dir "/a/b/"}} {{dir "a"}} {{dir "/a"}} {{dir ""}} {{dir "/a//b/../c"}}', '/a/b . / . /a'],
    ['split (strings.Split)', '{{split "a,b,,c" ","}} {{split "abc" ""}} {{split "" ","}} {{len (split "" ",")}} {{split "a::b" "::"}}', '[a b  c] [a b c] [] 1 [a b]'],
    ['join (strings.Join)', '{{join (split "a,b" ",") "-"}}|{{join (ls "/nope") ","}}|{{join (getvs "/upstream/*") ","}}', 'a-b||10.0.0.10:80,10.0.0.11:80,10.0.0.12:80'],
    ['toUpper and toLower, rune by rune', '{{toUpper "abcß"}} {{toLower "ÀBC"}} {{toUpper "héllo"}}', 'ABCß àbc HÉLLO'],
    ['contains', '{{contains "abc" "b"}} {{contains "abc" ""}} {{contains "abc" "x"}}', 'true true false'],
    ['replace, all or n', '{{replace "a.b.c" "." "/" -1}} {{replace "a.b.c" "." "/" 1}} {{replace "aaa" "a" "b" 0}}', 'a/b/c a/b.c aaa'],
    ['replace an empty string', '{{replace "abc" "" "-" -1}} {{replace "abc" "" "-" 2}}', '-a-b-c- -a-bc'],
    ['replace a backslash-n with a newline (corpus 15)', '{{replace `a\\nb` "\\\\n" "\\n  " -1}}', 'a\n  b'],
    ['trimSuffix', '{{trimSuffix "a.conf" ".conf"}} {{trimSuffix "a" ".conf"}} {{trimSuffix "a" ""}}', 'a a a'],
  ]);
  it('replace needs an int count', () => expect(render('{{replace "a" "a" "b" "1"}}')).toBe('error: template: t:1:22: executing "t" at <"1">: expected integer; found "1"'));
});

describe('json, jsonArray and map', () => {
  table([
    ['json gives map[string]interface {} with float64 numbers', '{{$d := json `{"a":1,"b":"x","c":[1,2]}`}}{{printf "%T %T %T" $d $d.a $d.c}}', 'map[string]interface {} float64 []interface {}'],
    ['json null is a nil map', '{{json `null`}} {{len (json `null`)}} {{printf "%#v" (json `null`)}}', 'map[] 0 map[string]interface {}(nil)'],
    ['jsonArray', '{{jsonArray `["b",1,true,null]`}} {{index (jsonArray `["b"]`) 0}}', '[b 1 true <nil>] b'],
    ['numbers below float64\'s range are 0', '{{jsonArray `[1e308,1e-400,"1e400"]`}}', '[1e+308 0 1e400]'],
    ['a JSON string with escapes', '{{(json `{"s":"a\\"\\u00e9\\n"}`).s}}', 'a"é\n'],
    ['map builds map[string]interface {}', '{{$m := map "a" 1 "b" "x"}}{{$m.a}} {{$m.b}} {{index $m "b"}} {{printf "%T" $m.a}}', '1 x x int'],
    ['map with no pairs', '{{map}}', 'map[]'],
  ]);
  it.each([
    ['{{json "x"}}', 'json "x"', 'json', "invalid character 'x' looking for beginning of value"],
    ['{{json ""}}', 'json ""', 'json', 'unexpected end of JSON input'],
    ['{{json "{"}}', 'json "{"', 'json', 'unexpected end of JSON input'],
    ['{{json `{"a":}`}}', 'json `{"a":}`', 'json', "invalid character '}' looking for beginning of value"],
    ['{{json `{"a" 1}`}}', 'json `{"a" 1}`', 'json', "invalid character '1' after object key"],
    ['{{json `{"a":1 "b":2}`}}', 'json `{"a":1 "b":2}`', 'json', 'invalid character \'"\' after object key:value pair'],
    ['{{json `{a:1}`}}', 'json `{a:1}`', 'json', "invalid character 'a' looking for beginning of object key string"],
    ['{{json `{"a":1} x`}}', 'json `{"a":1} x`', 'json', "invalid character 'x' after top-level value"],
    ['{{json `{"a":01}`}}', 'json `{"a":01}`', 'json', "invalid character '1' after object key:value pair"],
    ['{{json `{"a":tru}`}}', 'json `{"a":tru}`', 'json', "invalid character '}' in literal true (expecting 'e')"],
    ['{{json `{"a":"\\x"}`}}', 'json `{"a":"\\x"}`', 'json', "invalid character 'x' in string escape code"],
    ['{{json `{"a":1.}`}}', 'json `{"a":1.}`', 'json', "invalid character '}' after decimal point in numeric literal"],
    ['{{json `[1]`}}', 'json `[1]`', 'json', 'json: cannot unmarshal array into Go value of type map[string]interface {}'],
    ['{{json `"s"`}}', 'json `"s"`', 'json', 'json: cannot unmarshal string into Go value of type map[string]interface {}'],
    ['{{json `1`}}', 'json `1`', 'json', 'json: cannot unmarshal number into Go value of type map[string]interface {}'],
    ['{{jsonArray `{}`}}', 'jsonArray `{}`', 'jsonArray', 'json: cannot unmarshal object into Go value of type []interface {}'],
    ['{{json `{"a":[1e400]}`}}', 'json `{"a":[1e400]}`', 'json', 'json: cannot unmarshal number 1e400 into Go value of type float64'],
    ['{{jsonArray `[1,]`}}', 'jsonArray `[1,]`', 'jsonArray', "invalid character ']' looking for beginning of value"],
    ['{{map "a" 1 "b"}}', 'map "a" 1 "b"', 'map', 'invalid map call'],
    ['{{map 1 2}}', 'map 1 2', 'map', 'map keys must be strings'],
  ])('%s fails as confd does', (template, node, fn, message) => expect(render(template)).toBe(fails(2, node, fn, message)));
});

describe('getenv, fileExists, datetime', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'keyplate-go-'));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'file'), 'x');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  table([
    ['getenv with and without a default', '{{getenv "HOME"}} [{{getenv "NOPE"}}] {{getenv "NOPE" "d"}} {{getenv "HOME" "d"}}', '/home/app [] d /home/app'],
    ['an empty variable counts as unset', '[{{getenv "EMPTY"}}] {{getenv "EMPTY" "d"}}', '[] d'],
    ['if getenv (corpus 42)', '{{if getenv "EMPTY"}}set{{else}}unset{{end}}', 'unset'],
  ]);
  it('fileExists resolves relative paths against the working directory', () => {
    const t = '{{fileExists "sub/file"}} {{fileExists "sub"}} {{fileExists "nope"}} {{fileExists ""}} {{fileExists "sub/file/x"}}';
    expect(render(t, { cwd: dir })).toBe('true true false false true');
    expect(render(`{{fileExists "${path.join(dir, 'sub', 'file')}"}}`)).toBe('true');
  });
  it('datetime is time.Now: a time.Time with Go\'s String and Format', () => {
    const year = String(new Date().getUTCFullYear());
    expect(render('{{printf "%T" datetime}}')).toBe('time.Time');
    expect(render('{{datetime}}')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} \S+ m=\+\d+\.\d{9}$/);
    expect(render('{{with datetime.UTC}}{{.Format "2006"}} {{.Format "Jan _2 15:04:05.000 MST Z07:00"}}{{end}}')).toMatch(
      new RegExp(`^${year} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC Z$`),
    );
    expect(render('{{with datetime}}{{printf "%T %T %T" .Unix .Month .Year}} {{gt .Unix 1700000000}}{{end}}')).toBe('int64 time.Month int true');
    // The chain's head was the last node evaluated: Go names it.
    expect(render('{{datetime.wall}}')).toBe('error: template: t:1:2: executing "t" at <datetime>: wall is an unexported field of struct type time.Time');
  });
});

describe('encoding and parsing', () => {
  table([
    ['base64Encode', '{{base64Encode "hello"}} {{base64Encode ""}} {{base64Encode "é"}}', 'aGVsbG8=  w6k='],
    ['base64Decode', '{{base64Decode "aGVsbG8="}} {{base64Decode "w6k="}} [{{base64Decode ""}}]', 'hello é []'],
    ['base64Decode skips newlines', '{{base64Decode "aGVs\\nbG8="}} {{base64Decode "YQ\\r\\n=="}}', 'hello a'],
    ['parseBool accepts Go\'s set', '{{parseBool "1"}} {{parseBool "t"}} {{parseBool "T"}} {{parseBool "TRUE"}} {{parseBool "true"}} {{parseBool "True"}}', 'true true true true true true'],
    ['parseBool false', '{{parseBool "0"}} {{parseBool "f"}} {{parseBool "F"}} {{parseBool "FALSE"}} {{parseBool "false"}} {{parseBool "False"}}', 'false false false false false false'],
    ['atoi', '{{atoi "42"}} {{atoi "-7"}} {{atoi "+3"}} {{atoi "007"}} {{add (atoi "1") 1}}', '42 -7 3 7 2'],
  ]);
  it.each([
    ['{{base64Decode "YQ="}}', 'base64Decode "YQ="', 'base64Decode', 'illegal base64 data at input byte 3'],
    ['{{base64Decode "Y"}}', 'base64Decode "Y"', 'base64Decode', 'illegal base64 data at input byte 0'],
    ['{{base64Decode "Y!=="}}', 'base64Decode "Y!=="', 'base64Decode', 'illegal base64 data at input byte 1'],
    ['{{base64Decode "YQ==x"}}', 'base64Decode "YQ==x"', 'base64Decode', 'illegal base64 data at input byte 4'],
    ['{{base64Decode "=QQQ"}}', 'base64Decode "=QQQ"', 'base64Decode', 'illegal base64 data at input byte 0'],
    ['{{parseBool "yes"}}', 'parseBool "yes"', 'parseBool', 'strconv.ParseBool: parsing "yes": invalid syntax'],
    ['{{atoi ""}}', 'atoi ""', 'atoi', 'strconv.Atoi: parsing "": invalid syntax'],
    ['{{atoi "1.5"}}', 'atoi "1.5"', 'atoi', 'strconv.Atoi: parsing "1.5": invalid syntax'],
    ['{{atoi "1_000"}}', 'atoi "1_000"', 'atoi', 'strconv.Atoi: parsing "1_000": invalid syntax'],
    ['{{atoi "9223372036854775808"}}', 'atoi "9223372036854775808"', 'atoi', 'strconv.Atoi: parsing "9223372036854775808": value out of range'],
  ])('%s fails as confd does', (template, node, fn, message) => expect(render(template)).toBe(fails(2, node, fn, message)));
});

describe('lists and integers', () => {
  table([
    ['reverse a []string, in place', '{{$l := split "a,b,c" ","}}{{reverse $l}} {{$l}}', '[c b a] [c b a]'],
    ['reverse leaves memkv.KVPairs (from gets) alone, as confd does', '{{range reverse (gets "/upstream/*")}}{{base .Key}}{{end}}', 'abc'],
    ['reverse does reverse []memkv.KVPair', '{{range reverse (sortKVByLength (gets "/upstream/*"))}}{{base .Key}}{{end}}', 'cba'],
    ['reverse leaves other lists alone', '{{reverse (jsonArray `[1,2]`)}} {{reverse (seq 1 3)}} {{reverse "ab"}}', '[1 2] [1 2 3] ab'],
    ['sortByLength, in place', '{{$l := split "ccc,a,bb" ","}}{{sortByLength $l}} {{$l}}', '[a bb ccc] [a bb ccc]'],
    ['sortByLength counts bytes and keeps short ties in order', '{{sortByLength (split "bb,é,aa,c" ",")}}', '[c bb é aa]'],
    ['sortKVByLength sorts by key length', '{{range sortKVByLength (gets "/*")}}{{.Key}} {{end}}', '/top '],
    ['sortKVByLength on deeper keys', '{{range sortKVByLength (gets "/*/*")}}{{.Key}} {{end}}', '/db/host /db/port /app/name /app/port /json/obj /app/empty /json/list /upstream/a /upstream/b /upstream/c '],
    ['add, sub, mul, div, mod: Go int arithmetic', '{{add 1 2}} {{sub 1 2}} {{mul 3 4}} {{div 7 2}} {{div -7 2}} {{mod 7 3}} {{mod -7 3}}', '3 -1 12 3 -3 1 -1'],
    ['int overflow wraps like Go\'s 64-bit int', '{{add 9223372036854775807 1}} {{mul 4294967296 4294967296}} {{div -9223372036854775808 -1}}', '-9223372036854775808 0 -9223372036854775808'],
    ['seq', '{{seq 1 3}} {{seq 3 1}} {{seq 2 2}} {{seq -1 1}}', '[1 2 3] [] [2] [-1 0 1]'],
    ['seq with add in a range (corpus 26)', '{{range $i, $n := split "a,b" ","}}{{add $i 1}}{{$n}} {{end}}', '1a 2b '],
  ]);
  it.each([
    ['{{div 1 0}}', 'div 1 0', 'div', 'runtime error: integer divide by zero'],
    ['{{mod 1 0}}', 'mod 1 0', 'mod', 'runtime error: integer divide by zero'],
  ])('%s panics in Go: the template stops', (template, node, fn, message) => expect(render(template)).toBe(fails(2, node, fn, message)));
  it('seq refuses absurd sizes instead of exhausting memory (confd would try)', () =>
    expect(render('{{seq 1 10000000000}}')).toBe(fails(2, 'seq 1 10000000000', 'seq', 'seq would build 10000000000 numbers; keyplate stops at 1000000')));
  it('sortByLength takes []string only', () =>
    expect(render('{{sortByLength (jsonArray `["a"]`)}}')).toBe('error: template: t:1:26: executing "t" at <`["a"]`>: wrong type for value; expected []string; got []interface {}'));
});
