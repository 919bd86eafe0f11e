// Every helper, rendered through real Handlebars templates over confd's fixture keys, with and without a prefix.
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import runtime from 'handlebars/runtime';
import { describe, expect, it } from 'vitest';
import { RenderError } from '../src/errors.js';
import { helperNames, registerHelpers, resolvePendingLookups } from '../src/template/helpers/index.js';
import { KeyStore } from '../src/keys/store.js';
import { RenderScope } from '../src/template/scope.js';

const FIXTURE: Array<[string, string]> = [
  ['/key', 'foobar'],
  ['/database/host', '127.0.0.1'],
  ['/database/password', 'p@sSw0rd'],
  ['/database/port', '3306'],
  ['/database/username', 'confd'],
  ['/upstream/app1', '10.0.1.10:8080'],
  ['/upstream/app2', '10.0.1.11:8080'],
];
const SECRET = 'p@sSw0rd';
const TEMPLATE = 'nginx.conf.tmpl';
const ENVIRONMENT = { HOSTNAME: 'localhost', EMPTY: '' };

const env = Handlebars.create();
registerHelpers(env);

/** The fixture store, its keys under `prefix`; the prefixed store also holds decoys just outside it. */
function fixtureScope(prefix: string, extra: Array<[string, string]> = []): RenderScope {
  const at = (key: string) => (prefix === '/' ? key : prefix + key);
  const entries = [...FIXTURE, ...extra].map(([k, v]): [string, string] => [at(k), v]);
  if (prefix !== '/') entries.push(['/other/key', 'outside'], [`${prefix}x/key`, 'outside'], ['/key2', 'outside']);
  return new RenderScope(new KeyStore(entries), prefix, TEMPLATE, ENVIRONMENT);
}

function render(source: string, scope: RenderScope): string {
  return env.compile(source, { noEscape: true })({}, { data: { keyplate: scope } });
}

function renderError(source: string, scope: RenderScope): RenderError {
  try {
    render(source, scope);
  } catch (error) {
    expect(error).toBeInstanceOf(RenderError);
    return error as RenderError;
  }
  throw new Error(`expected ${source} to fail`);
}

type Case = [name: string, template: string, expected: string];

const cases: Case[] = [
  // get / getv / exists
  ['get returns a pair with prefix-stripped key and confd aliases', '{{#with (get "/key")}}{{key}}={{value}} {{Key}}={{Value}}{{/with}}', '/key=foobar /key=foobar'],
  ['get of a missing key gives an empty value', '{{#with (get "/nope")}}[{{key}}][{{value}}]{{/with}}', '[/nope][]'],
  ['getv reads a value', '{{getv "/database/host"}}', '127.0.0.1'],
  ['getv accepts a key without a leading slash', '{{getv "database/port"}}', '3306'],
  ['getv prefers the value over the default', '{{getv "/key" "fallback"}}', 'foobar'],
  ['getv returns the default for a missing key', '{{getv "/nope" "fallback"}}', 'fallback'],
  ['getv returns an empty default for a missing key', '[{{getv "/nope" ""}}]', '[]'],
  ['exists is true for an exact key', '{{#if (exists "/key")}}yes{{else}}no{{/if}}', 'yes'],
  ['exists is false for a directory', '{{#if (exists "/database")}}yes{{else}}no{{/if}}', 'no'],
  ['exists is false for a missing key', '{{#if (exists "/nope")}}yes{{else}}no{{/if}}', 'no'],
  ['exists matches whole keys, not prefixes', '{{exists "/ke"}}', 'false'],
  // gets / getvs
  ['gets sorts pairs by key', '{{#each (gets "/database/*")}}{{key}}={{value}};{{/each}}', '/database/host=127.0.0.1;/database/password=p@sSw0rd;/database/port=3306;/database/username=confd;'],
  ['gets * does not cross a slash', '{{#each (gets "/*")}}{{key}};{{/each}}', '/key;'],
  ['gets matches a middle segment', '{{#each (gets "/*/app1")}}{{key}};{{/each}}', '/upstream/app1;'],
  ['gets ? matches one character', '{{#each (gets "/upstream/app?")}}{{key}};{{/each}}', '/upstream/app1;/upstream/app2;'],
  ['gets [..] class with a range', '{{#each (gets "/upstream/app[2-9]")}}{{key}};{{/each}}', '/upstream/app2;'],
  ['gets [^..] negated class', '{{#each (gets "/upstream/app[^2]")}}{{key}};{{/each}}', '/upstream/app1;'],
  ['gets with no match is an empty list', '{{#each (gets "/nothing/*")}}x{{else}}empty{{/each}}', 'empty'],
  ['gets exact key without glob syntax', '{{#each (gets "/key")}}{{value}}{{/each}}', 'foobar'],
  ['getvs sorts by value, not by key', '{{join (getvs "/database/*") ","}}', '127.0.0.1,3306,confd,p@sSw0rd'],
  ['getvs with no match is an empty list', '[{{join (getvs "/nothing/*") ","}}]', '[]'],
  // ls / lsdir
  ['ls lists children sorted', '{{join (ls "/database") ","}}', 'host,password,port,username'],
  ['ls with a trailing slash', '{{join (ls "/upstream/") ","}}', 'app1,app2'],
  ['ls "/" lists every top-level name (confd lists only leaves)', '{{join (ls "/") ","}}', 'database,key,upstream'],
  ['ls of a key lists its own base name, as confd', '{{join (ls "/key") ","}}', 'key'],
  ['ls matches at slash boundaries', '[{{join (ls "/data") ","}}]', '[]'],
  ['ls of a missing path is empty', '[{{join (ls "/nope") ","}}]', '[]'],
  ['lsdir "/" lists directories (confd gives none)', '{{join (lsdir "/") ","}}', 'database,upstream'],
  ['lsdir without subdirectories is empty', '[{{join (lsdir "/database") ","}}]', '[]'],
  ['lsdir of a key is empty', '[{{join (lsdir "/key") ","}}]', '[]'],
  // paths and strings
  ['base of a path', '{{base "/database/host"}}', 'host'],
  ['base drops trailing slashes', '{{base "/a/b/"}}', 'b'],
  ['base of "" is "."', '{{base ""}}', '.'],
  ['base of slashes is "/"', '{{base "///"}}', '/'],
  ['base of a bare name', '{{base "name"}}', 'name'],
  ['dir of a path', '{{dir "/database/host"}}', '/database'],
  ['dir keeps the element before a trailing slash', '{{dir "/a/b/"}}', '/a/b'],
  ['dir of "" is "."', '{{dir ""}}', '.'],
  ['dir of a bare name is "."', '{{dir "name"}}', '.'],
  ['dir of a top-level key is "/"', '{{dir "/key"}}', '/'],
  ['dir cleans the result', '{{dir "//a/./b/../c/d"}}', '/a/c'],
  ['dir of a relative path keeps leading ..', '{{dir "../../x"}}', '../..'],
  ['base of a value', '{{base (getv "/key")}}', 'foobar'],
  ['split a value', '{{#each (split (getv "/upstream/app1") ":")}}[{{this}}]{{/each}}', '[10.0.1.10][8080]'],
  ['split with an empty separator splits characters', '{{join (split "héllo" "") "."}}', 'h.é.l.l.o'],
  ['split of "" is one empty element', '{{#each (split "" ",")}}[{{this}}]{{/each}}', '[]'],
  ['join a list', '{{join (ls "/upstream") " "}}', 'app1 app2'],
  ['toUpper', '{{toUpper (getv "/database/username")}}', 'CONFD'],
  ['toLower', '{{toLower "MiXeD"}}', 'mixed'],
  // Go's simple case mapping, as confd writes it: ß stays, İ lowers to a plain i, a final Σ to σ.
  ['toUpper as Go: ß stays', '{{toUpper "straße"}}', 'STRAßE'],
  ['toLower as Go: İ is i, Σ is σ', '{{toLower "İSTANBUL ΟΔΟΣ"}}', 'istanbul οδοσ'],
  ['contains true', '{{contains (getv "/upstream/app1") ":8080"}}', 'true'],
  ['contains false', '{{#if (contains "abc" "x")}}yes{{else}}no{{/if}}', 'no'],
  ['replace all with -1', '{{replace "a.b.c" "." "_" -1}}', 'a_b_c'],
  ['replace the first n', '{{replace "a.b.c" "." "_" 1}}', 'a_b.c'],
  ['replace none with 0', '{{replace "a.b.c" "." "_" 0}}', 'a.b.c'],
  ['replace an empty old inserts between characters', '{{replace "ab" "" "-" -1}}', '-a-b-'],
  ['replace an empty old, first n', '{{replace "ab" "" "-" 2}}', '-a-b'],
  ['trimSuffix removes one suffix', '{{trimSuffix "app.conf.conf" ".conf"}}', 'app.conf'],
  ['trimSuffix leaves other strings', '{{trimSuffix "app.ini" ".conf"}}', 'app.ini'],
  // json / map
  ['json parses an object', `{{#with (json '{"host":"db","port":5432}')}}{{host}}:{{port}}{{/with}}`, 'db:5432'],
  ['json of null is an empty object', `{{#each (json 'null')}}x{{else}}empty{{/each}}`, 'empty'],
  ['jsonArray parses an array', `{{#each (jsonArray '["a","b"]')}}{{this}};{{/each}}`, 'a;b;'],
  ['jsonArray of objects', `{{#each (jsonArray '[{"n":1},{"n":2}]')}}{{n}}{{/each}}`, '12'],
  ['map builds an object', '{{#with (map "name" "web" "port" 80)}}{{name}}:{{port}}{{/with}}', 'web:80'],
  ['map of nothing is empty', '{{#each (map)}}x{{else}}empty{{/each}}', 'empty'],
  ['map keys named like prototype members are plain keys', '{{#with (map "constructor" "c")}}{{constructor}}{{/with}}', 'c'],
  // environment, files, encodings
  ['getenv reads the scope environment', '{{getenv "HOSTNAME"}}', 'localhost'],
  ['getenv of an unset variable is ""', '[{{getenv "KEYPLATE_UNSET"}}]', '[]'],
  ['getenv returns the default when unset', '{{getenv "KEYPLATE_UNSET" "dflt"}}', 'dflt'],
  ['getenv treats empty as unset', '{{getenv "EMPTY" "dflt"}}', 'dflt'],
  ['fileExists true for this test file', `{{fileExists "${fileURLToPath(import.meta.url)}"}}`, 'true'],
  ['fileExists false for a missing file', '{{fileExists "/definitely/not/here"}}', 'false'],
  ['fileExists false below a regular file', `{{fileExists "${fileURLToPath(import.meta.url)}/x"}}`, 'false'],
  ['base64Encode', '{{base64Encode (getv "/key")}}', 'Zm9vYmFy'],
  ['base64Encode of UTF-8', '{{base64Encode "é"}}', 'w6k='],
  ['base64Decode', '{{base64Decode "Zm9vYmFy"}}', 'foobar'],
  ['base64Decode with padding', '{{base64Decode "Zm9vYg=="}}', 'foob'],
  ['base64Decode ignores newlines, like Go', '{{base64Decode "Zm9v\nYmFy"}}', 'foobar'],
  ['base64 round trip', '{{base64Decode (base64Encode (getv "/database/password"))}}', SECRET],
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s): Case => [`parseBool "${s}" is true`, `{{parseBool "${s}"}}`, 'true']),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s): Case => [`parseBool "${s}" is false`, `{{parseBool "${s}"}}`, 'false']),
  ['parseBool drives an if', '{{#if (parseBool "false")}}on{{else}}off{{/if}}', 'off'],
  // lists
  ['reverse reverses gets output (confd leaves it unchanged)', '{{#each (reverse (gets "/upstream/*"))}}{{key}};{{/each}}', '/upstream/app2;/upstream/app1;'],
  ['reverse reverses strings', '{{join (reverse (split "a,b,c" ",")) ","}}', 'c,b,a'],
  ['reverse returns a copy', '{{#with (split "a,b,c" ",") as |xs|}}{{join (reverse xs) ""}} {{join xs ""}}{{/with}}', 'cba abc'],
  ['reverse of an empty list', '[{{join (reverse (gets "/nothing/*")) ","}}]', '[]'],
  ['sortByLength is stable', '{{join (sortByLength (split "ccc,a,bb,d" ",")) ","}}', 'a,d,bb,ccc'],
  ['sortKVByLength sorts pairs by key length, stable', '{{#each (sortKVByLength (gets "/database/*"))}}{{base key}};{{/each}}', 'host;port;password;username;'],
  ['seq counts up inclusively', '{{join (seq 1 5) ","}}', '1,2,3,4,5'],
  ['seq counts down when first > last', '{{join (seq 3 1) ","}}', '3,2,1'],
  ['seq of one', '{{join (seq 2 2) ","}}', '2'],
  ['seq drives each', '{{#each (seq 1 3)}}server{{this}} {{/each}}', 'server1 server2 server3 '],
  // integers
  ['atoi of a stored value', '{{add (atoi (getv "/database/port")) 1}}', '3307'],
  ['atoi accepts a sign', '{{atoi "-42"}}', '-42'],
  ['add', '{{add 2 3}}', '5'],
  ['sub', '{{sub 2 5}}', '-3'],
  ['mul', '{{mul -4 3}}', '-12'],
  ['div truncates toward zero', '{{div 7 2}} {{div -7 2}}', '3 -3'],
  ['mod takes the sign of the dividend', '{{mod 7 3}} {{mod -7 2}} {{mod 7 -2}}', '1 -1 1'],
  ['arithmetic accepts integer strings', '{{add (getv "/database/port") "1"}}', '3307'],
  ['arithmetic composes', '{{mul (add 1 2) (sub 10 4)}}', '18'],
];

const errorCases: Array<[name: string, template: string, message: string]> = [
  ['div by zero', '{{div 1 0}}', `${TEMPLATE}: div: division by zero`],
  ['mod by zero', '{{mod 1 0}}', `${TEMPLATE}: mod: modulo by zero`],
  ['gets with a malformed pattern', '{{gets "/upstream/["}}', `${TEMPLATE}: gets: malformed pattern \`/upstream/[\``],
  ['gets with a malformed pattern that matches nothing anyway', '{{gets "/nothing/[a-"}}', `${TEMPLATE}: gets: malformed pattern`],
  ['getvs with a malformed pattern', '{{getvs "/upstream/[^"}}', `${TEMPLATE}: getvs: malformed pattern`],
  ['map with an odd number of arguments', '{{map "a" 1 "b"}}', `${TEMPLATE}: map: expects key/value pairs, got an odd number of arguments (3)`],
  ['map with a non-string key', '{{map 1 2}}', `${TEMPLATE}: map: argument 1 (a map key) must be a string`],
  ['json of invalid text', `{{json '{"a":'}}`, `${TEMPLATE}: json: invalid JSON`],
  ['json of an array', `{{json '[1]'}}`, `${TEMPLATE}: json: expected a JSON object, got an array`],
  ['jsonArray of an object', `{{jsonArray '{}'}}`, `${TEMPLATE}: jsonArray: expected a JSON array, got an object`],
  ['base64Decode without padding', '{{base64Decode "Zm9vYg"}}', `${TEMPLATE}: base64Decode: invalid base64`],
  ['base64Decode of the URL alphabet', '{{base64Decode "-_-_"}}', `${TEMPLATE}: base64Decode: invalid base64`],
  ['base64Decode with inner spaces', '{{base64Decode "Zm9v YmFy"}}', `${TEMPLATE}: base64Decode: invalid base64`],
  ['parseBool outside Go\'s set', '{{parseBool "yes"}}', `${TEMPLATE}: parseBool: not a boolean`],
  ['atoi of a non-integer', '{{atoi "12x"}}', `${TEMPLATE}: atoi: not a decimal integer`],
  ['atoi of a decimal fraction', '{{atoi "1.5"}}', `${TEMPLATE}: atoi: not a decimal integer`],
  ['atoi beyond safe integers', '{{atoi "99999999999999999999"}}', `${TEMPLATE}: atoi: integer out of range`],
  ['add of a non-integer', '{{add 1.5 1}}', `${TEMPLATE}: add: first argument must be an integer`],
  ['add of a word', '{{add "one" 1}}', `${TEMPLATE}: add: first argument must be an integer, got a non-integer string`],
  ['mul beyond safe integers', '{{mul 9007199254740991 2}}', `${TEMPLATE}: mul: result out of range`],
  ['seq with a huge range', '{{seq 1 100000000}}', `${TEMPLATE}: seq: would build 100000000 numbers`],
  ['getv with too few arguments', '{{getv}}', `${TEMPLATE}: getv: expects 1 to 2 arguments, got 0`],
  ['getv with too many arguments', '{{getv "/a" "b" "c"}}', `${TEMPLATE}: getv: expects 1 to 2 arguments, got 3`],
  ['replace without n', '{{replace "a" "b" "c"}}', `${TEMPLATE}: replace: expects 4 arguments, got 3`],
  ['replace with a non-integer n', '{{replace "a" "b" "c" "all"}}', `${TEMPLATE}: replace: n (the replacement count, -1 for all) must be an integer`],
  ['getv with a misspelt variable as key', '{{getv nope}}', `${TEMPLATE}: getv: key must be a string, got nothing (undefined`],
  ['join of a non-list', '{{join "abc" ","}}', `${TEMPLATE}: join: first argument must be a list, got a string`],
  ['reverse of a non-list', '{{reverse "abc"}}', `${TEMPLATE}: reverse: argument must be a list`],
  ['sortKVByLength of strings', '{{sortKVByLength (ls "/")}}', `${TEMPLATE}: sortKVByLength: item 1 is not a key/value pair`],
  ['named arguments', '{{getv "/key" default="x"}}', `${TEMPLATE}: getv: named arguments are not supported (got default)`],
  ['datetime with an argument', '{{datetime "x"}}', `${TEMPLATE}: datetime: expects 0 arguments, got 1`],
];

describe.each(['/', '/myapp'])('helpers with prefix %s', (prefix) => {
  const abs = (key: string) => (prefix === '/' ? key : key === '/' ? prefix : prefix + key);

  it.each(cases)('%s', (_name, template, expected) => {
    expect(render(template, fixtureScope(prefix))).toBe(expected);
  });

  it.each(errorCases)('error: %s', (_name, template, message) => {
    expect(renderError(template, fixtureScope(prefix)).message).toContain(message);
  });

  it('error messages never contain a backend value', () => {
    for (const helper of ['json', 'jsonArray', 'base64Decode', 'parseBool', 'atoi']) {
      const error = renderError(`{{${helper} (getv "/database/password")}}`, fixtureScope(prefix));
      expect(error.message).toMatch(new RegExp(`^${TEMPLATE}: ${helper}: `));
      expect(error.message).not.toContain(SECRET);
      expect(String(error.cause ?? '')).not.toContain(SECRET);
    }
    const error = renderError('{{add (getv "/database/password") 1}}', fixtureScope(prefix));
    expect(error.message).not.toContain(SECRET);
  });

  it('renders confd basic: four getv and getenv', () => {
    const template = [
      '[database]',
      'host={{getv "/database/host"}}',
      'password={{getv "/database/password"}}',
      'port={{getv "/database/port"}}',
      'username={{getv "/database/username"}}',
      'hostname={{getenv "HOSTNAME"}}',
      '',
    ].join('\n');
    const scope = fixtureScope(prefix);
    expect(render(template, scope)).toBe(
      '[database]\nhost=127.0.0.1\npassword=p@sSw0rd\nport=3306\nusername=confd\nhostname=localhost\n',
    );
    expect([...scope.usedKeys].sort()).toEqual(
      ['/database/host', '/database/password', '/database/port', '/database/username'].map(abs),
    );
    expect(scope.missingKeys.size).toBe(0);
  });

  it('renders confd iteration: an nginx upstream block from gets', () => {
    const template = 'upstream app {\n{{#each (gets "/upstream/*")}}\n    server {{value}};\n{{/each}}\n}\n';
    const scope = fixtureScope(prefix);
    expect(render(template, scope)).toBe('upstream app {\n    server 10.0.1.10:8080;\n    server 10.0.1.11:8080;\n}\n');
    expect([...scope.usedPatterns]).toEqual([abs('/upstream/*')]);
  });

  it('renders confd exists: one block printed, one not', () => {
    const template = '{{#if (exists "/key")}}key={{getv "/key"}}\n{{/if}}{{#if (exists "/nokey")}}nokey\n{{/if}}';
    const scope = fixtureScope(prefix);
    expect(render(template, scope)).toBe('key=foobar\n');
    expect([...scope.usedKeys].sort()).toEqual([abs('/key'), abs('/nokey')]);
    expect(scope.missingKeys.size).toBe(0);
  });

  it('collects every missing key in one render instead of stopping at the first', () => {
    const scope = fixtureScope(prefix);
    const out = render('a={{getv "/db/a"}} b={{#with (get "/db/b")}}{{value}}{{/with}} c={{getv "/db/c"}} d={{getv "/db/d" "x"}}', scope);
    expect(out).toBe('a= b= c= d=x');
    expect([...scope.missingKeys].sort()).toEqual(['/db/a', '/db/b', '/db/c'].map(abs));
    expect([...scope.usedKeys].sort()).toEqual(['/db/a', '/db/b', '/db/c', '/db/d'].map(abs));
  });

  it('records listed directories and patterns as absolute paths', () => {
    const scope = fixtureScope(prefix);
    render('{{ls "/database"}}{{lsdir "/"}}{{getvs "upstream/*"}}{{gets "/nothing/*"}}', scope);
    expect([...scope.usedDirs].sort()).toEqual([abs('/'), abs('/database')].sort());
    expect([...scope.usedPatterns].sort()).toEqual([abs('/nothing/*'), abs('/upstream/*')]);
    expect(scope.usedKeys.size).toBe(0);
    expect(scope.missingKeys.size).toBe(0);
  });

  it('renders values containing Handlebars syntax and HTML characters verbatim', () => {
    const scope = fixtureScope(prefix, [['/raw/tmpl', '{{x}} {{{y}}}'], ['/raw/html', `<&>"'`]]);
    expect(render('{{getv "/raw/tmpl"}} {{getv "/raw/html"}} {{#each (gets "/raw/*")}}[{{value}}]{{/each}}', scope)).toBe(
      `{{x}} {{{y}}} <&>"' [<&>"'][{{x}} {{{y}}}]`,
    );
  });

  it('ls and lsdir separate leaves from directories at any depth', () => {
    const scope = fixtureScope(prefix, [
      ['/services/web/a', '1'],
      ['/services/web/b/c', '2'],
      ['/services/db', '3'],
      ['/services/cache/x', '4'],
    ]);
    expect(render('{{join (ls "/services") ","}} | {{join (lsdir "/services") ","}} | {{join (lsdir "/services/web") ","}}', scope)).toBe(
      'cache,db,web | cache,web | b',
    );
    expect(render('{{join (ls "/") ","}} | {{join (lsdir "/") ","}}', scope)).toBe(
      'database,key,services,upstream | database,services,upstream',
    );
  });

  it('ls of a key that also has children lists both', () => {
    const scope = fixtureScope(prefix, [['/upstream', 'itself']]);
    expect(render('{{join (ls "/upstream") ","}} | {{join (lsdir "/upstream") ","}}', scope)).toBe('app1,app2,upstream | ');
  });
});

describe('helpers outside the fixture table', () => {
  it('datetime renders now as RFC 3339', () => {
    const out = render('{{datetime}}', fixtureScope('/'));
    expect(out).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(out) - Date.now())).toBeLessThan(5_000);
  });

  it('keys outside the prefix are invisible', () => {
    const scope = fixtureScope('/myapp');
    expect(render('{{getv "/other/key" "unseen"}} {{#each (gets "/*")}}{{key}}{{/each}} {{join (ls "/") ","}}', scope)).toBe(
      'unseen /key database,key,upstream',
    );
  });

  it('helperNames lists every registered helper', () => {
    const spec = [
      'get', 'getv', 'exists', 'gets', 'getvs', 'ls', 'lsdir', 'base', 'dir', 'split', 'join', 'toUpper', 'toLower',
      'contains', 'replace', 'trimSuffix', 'json', 'jsonArray', 'map', 'getenv', 'datetime', 'fileExists',
      'base64Encode', 'base64Decode', 'parseBool', 'reverse', 'sortByLength', 'sortKVByLength', 'seq', 'atoi',
      'add', 'sub', 'mul', 'div', 'mod', 'lookupIP', 'lookupIPV4', 'lookupIPV6', 'lookupSRV',
      // Go template built-ins, for templates ported from confd
      'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'len', 'printf',
    ];
    expect([...helperNames].sort()).toEqual(spec.sort());
    for (const name of helperNames) expect(env.helpers[name], name).toBeTypeOf('function');
  });

  it('works in the runtime-only Handlebars environment with a precompiled template', () => {
    const rt = runtime.create();
    registerHelpers(rt);
    const spec = Handlebars.precompile('{{getv "/key"}} {{add 1 2}} {{join (ls "/upstream") ","}}', { noEscape: true });
    const template = rt.template(new Function(`return ${spec}`)());
    expect(template({}, { data: { keyplate: fixtureScope('/') } })).toBe('foobar 3 app1,app2');
  });

  it('a store helper without a scope fails with a clear RenderError', () => {
    expect(() => env.compile('{{getv "/key"}}')({})).toThrow(/template: getv: no render scope/);
  });
});

describe('DNS lookups: pending on the first pass, answered on the second', () => {
  it('lookupIP resolves localhost after resolvePendingLookups', async () => {
    const scope = fixtureScope('/');
    const template = '{{join (lookupIP "localhost") ","}}|{{join (lookupIPV4 "localhost") ","}}|{{join (lookupIPV6 "localhost") ","}}';
    expect(render(template, scope)).toBe('||');
    expect([...scope.pendingLookups].sort()).toEqual(['ip4:localhost', 'ip6:localhost', 'ip:localhost']);

    await resolvePendingLookups(scope);
    expect(scope.pendingLookups.size).toBe(0);
    const [all, v4, v6] = render(template, scope).split('|').map((s) => (s === '' ? [] : s.split(',')));
    expect(v4).toContain('127.0.0.1');
    expect(v4!.every((ip) => !ip.includes(':'))).toBe(true);
    expect(v6!.every((ip) => ip.includes(':'))).toBe(true);
    expect(all).toEqual([...v4!, ...v6!].sort());
    expect(scope.pendingLookups.size).toBe(0);
  });

  it('a failed lookup is an empty list', async () => {
    const scope = fixtureScope('/');
    const template =
      '[{{join (lookupIP "nothing.invalid") ","}}][{{#each (lookupSRV "ldap" "tcp" "nothing.invalid")}}{{target}}{{/each}}]';
    render(template, scope);
    expect([...scope.pendingLookups].sort()).toEqual(['ip:nothing.invalid', 'srv:_ldap._tcp.nothing.invalid']);
    await resolvePendingLookups(scope);
    expect(render(template, scope)).toBe('[][]');
    expect(scope.lookups.get('ip:nothing.invalid')).toEqual([]);
  });

  it('lookupSRV answers carry both field spellings', () => {
    const scope = fixtureScope('/');
    const record = { target: 'db1.example.com', port: 5432, priority: 10, weight: 5 };
    scope.lookups.set('srv:_pg._tcp.example.com', [
      { ...record, Target: record.target, Port: record.port, Priority: record.priority, Weight: record.weight },
    ]);
    expect(
      render('{{#each (lookupSRV "pg" "tcp" "example.com")}}{{target}}:{{port}} {{Target}}:{{Port}} {{priority}}/{{Weight}}{{/each}}', scope),
    ).toBe('db1.example.com:5432 db1.example.com:5432 10/5');
    expect(scope.pendingLookups.size).toBe(0);
  });

  it('lookupSRV with empty service and proto queries the name itself, as Go does', () => {
    const scope = fixtureScope('/');
    render('{{lookupSRV "" "" "_x._tcp.example.invalid"}}', scope);
    expect([...scope.pendingLookups]).toEqual(['srv:_x._tcp.example.invalid']);
  });
});
