// confd's key functions as kelseyhightower/memkv does them, over keyplate's key store, and what each render records
// (used keys, patterns, directories, missing keys) for waiting and change-proportional re-rendering.
import { describe, expect, it } from 'vitest';
import { render, renderResult } from './harness.js';

const TREE: Record<string, string> = {
  '/web1': 'w1',
  '/web2': 'w2',
  '/svc/a/host': 'ha',
  '/svc/a/port': '80',
  '/svc/b/host': 'hb',
  '/svc/leaf': 'l',
  '/nodes/10': 'ten',
  '/nodes/2': 'two',
  '/nodes/1': 'one',
  '/vals/x': 'zeta',
  '/vals/y': 'alpha',
  '/vals/z': 'Mid',
};
const tree = (template: string): string => render(template, { keys: TREE });

describe('getv, get, exists', () => {
  it.each([
    ['getv of a key', '{{getv "/svc/a/host"}}', 'ha'],
    ['getv with a default, key present', '{{getv "/svc/a/host" "d"}}', 'ha'],
    ['getv with a default, key absent', '{{getv "/nope" "d"}}', 'd'],
    ['an empty default is still a default', '[{{getv "/nope" ""}}]', '[]'],
    ['getv with several defaults takes the first', '{{getv "/nope" "a" "b"}}', 'a'],
    ['get gives a pair', '{{with get "/web1"}}{{.Key}}={{.Value}}{{end}}', '/web1=w1'],
    ['exists', '{{exists "/web1"}} {{exists "/nope"}} {{exists "/svc"}} {{exists "/svc/a"}}', 'true false false false'],
    ['keys are compared as written: no leading slash never matches', '{{exists "web1"}} {{getv "web1" "d"}}', 'false d'],
    ['nor does an unclean spelling', '{{exists "/svc//leaf"}} {{exists "/svc/leaf/"}} {{exists "/svc/./leaf"}}', 'false false false'],
  ])('%s', (_name, template, expected) => expect(tree(template)).toBe(expected));

  it('a key that can never exist in confd\'s store is confd\'s error, not a wait', () => {
    expect(tree('{{getv "web1"}}')).toBe('error: template: t:1:2: executing "t" at <getv "web1">: error calling getv: key does not exist: web1');
    expect(tree('{{get "/svc/"}}')).toBe('error: template: t:1:2: executing "t" at <get "/svc/">: error calling get: key does not exist: /svc/');
  });

  it('records keys read, and missing keys without failing the render', () => {
    const r = renderResult('{{getv "/web1"}}{{getv "/nope"}}{{getv "/nope2" "d"}}{{exists "/nope3"}}{{(get "/nope4").Key}}|', { keys: TREE });
    expect(r.output).toBe('w1dfalse|');
    expect(r.usedKeys.sort()).toEqual(['/nope', '/nope2', '/nope3', '/nope4', '/web1']);
    expect(r.missingKeys).toEqual(['/nope', '/nope4']);
  });

  it('missing keys win over a failure they may have caused', () => {
    const r = renderResult('{{add (atoi (getv "/port")) 1}}{{index "hi" 5}}', { keys: TREE });
    expect(r.missingKeys).toEqual(['/port']);
    expect(r.output).toBe('');
  });
});

describe('gets and getvs', () => {
  it.each([
    ['gets matches with path.Match, sorted by key bytes', '{{range gets "/nodes/*"}}{{.Key}}={{.Value}} {{end}}', '/nodes/1=one /nodes/10=ten /nodes/2=two '],
    ['* does not cross /', '{{range gets "/*"}}{{.Key}} {{end}}', '/web1 /web2 '],
    ['globs in several segments', '{{range gets "/svc/*/host"}}{{.Value}} {{end}}', 'ha hb '],
    ['? and classes (negation is ^; ! is just a character)', '{{range gets "/web?"}}{{.Value}}{{end}} {{range gets "/nodes/[^2]*"}}{{.Value}} {{end}}{{range gets "/nodes/[!2]*"}}{{.Value}}{{end}}', 'w1w2 one ten two'],
    ['a literal pattern is an exact key', '{{range gets "/svc/leaf"}}{{.Value}}{{end}}', 'l'],
    ['no match is an empty list', '{{gets "/nope/*"}} {{len (gets "/nope/*")}}', '[] 0'],
    ['a pattern without a leading slash matches nothing', '{{len (gets "web*")}}', '0'],
    ['getvs sorts by value, not key', '{{getvs "/vals/*"}}', '[Mid alpha zeta]'],
    ['getvs of nothing', '{{getvs "/nope/*"}}', '[]'],
  ])('%s', (_name, template, expected) => expect(tree(template)).toBe(expected));

  it('a malformed pattern is an error once there is a key to try', () => {
    expect(tree('{{gets "/[a"}}')).toBe('error: template: t:1:2: executing "t" at <gets "/[a">: error calling gets: syntax error in pattern');
    expect(render('{{gets "/[a"}}', { keys: {} })).toBe('[]');
  });

  it('records the pattern (absolute, under the prefix)', () => {
    const r = renderResult('{{gets "/svc/*/host"}}{{getvs "/vals/*"}}', { keys: TREE });
    expect(r.usedPatterns).toEqual(['/svc/*/host', '/vals/*']);
    expect(renderResult('{{gets "/*"}}', { keys: { '/app/x': '1' }, prefix: '/app' }).usedPatterns).toEqual(['/app/*']);
  });
});

describe('ls and lsdir', () => {
  it.each([
    ['ls lists children, files and directories', '{{ls "/svc"}}', '[a b leaf]'],
    ['a trailing slash is the same', '{{ls "/svc/"}}', '[a b leaf]'],
    ['ls of a leaf key lists its own name', '{{ls "/svc/leaf"}}', '[leaf]'],
    ['ls "/" lists only top-level leaf keys (memkv)', '{{ls "/"}}', '[web1 web2]'],
    ['ls of nothing', '{{ls "/nope"}} {{ls "svc"}} {{ls ""}}', '[] [] []'],
    ['lsdir lists children that have children', '{{lsdir "/svc"}} {{lsdir "/svc/"}} {{lsdir "/svc/a"}}', '[a b] [a b] []'],
    ['lsdir "/" lists nothing (memkv)', '{{lsdir "/"}}', '[]'],
    ['range over lsdir and gets (confd idiom)', '{{range $d := lsdir "/svc"}}{{$d}}:{{range gets (printf "/svc/%s/*" $d)}}{{base .Key}},{{end}} {{end}}', 'a:host,port, b:host, '],
  ])('%s', (_name, template, expected) => expect(tree(template)).toBe(expected));

  it('records the directory listed', () => {
    expect(renderResult('{{ls "/svc/"}}{{lsdir "/"}}', { keys: TREE }).usedDirs).toEqual(['/svc', '/']);
  });
});

describe('a resource prefix', () => {
  const keys = { '/app/name': 'n', '/app/port': '1', '/app/sub/x': 'x', '/other/name': 'o', '/apple': 'a' };
  const opts = { keys, prefix: '/app', visible: ['/app'] };
  it.each([
    ['keys are relative to the prefix', '{{getv "/name"}} {{exists "/other/name"}}', 'n false'],
    ['pairs carry prefix-stripped keys', '{{range gets "/*"}}{{.Key}} {{end}}', '/name /port '],
    ['ls "/" lists the prefix\'s top-level leaves', '{{ls "/"}} {{lsdir "/"}} {{ls "/sub"}}', '[name port] [] [x]'],
    ['a sibling prefix does not leak in', '{{len (gets "/*")}}', '2'],
  ])('%s', (_name, template, expected) => expect(render(template, opts)).toBe(expected));

  it('records absolute keys, as the Handlebars helpers do', () => {
    const r = renderResult('{{getv "/name"}}{{getv "/missing"}}{{ls "/sub"}}', opts);
    expect(r.usedKeys).toEqual(['/app/name', '/app/missing']);
    expect(r.missingKeys).toEqual(['/app/missing']);
    expect(r.usedDirs).toEqual(['/app/sub']);
  });

  it('a key outside the resource\'s keys is missing (keyplate then reports it as undeclared)', () => {
    const r = renderResult('{{getv "/x"}}', { keys: { '/app/x': '1', '/db/x': '2' }, prefix: '/', visible: ['/db'] });
    expect(r.missingKeys).toEqual(['/x']);
  });
});
