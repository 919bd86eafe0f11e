// The start-time patch of Handlebars' private `_setup` (src/template/runtime.ts): it must exist in the pinned Handlebars,
// and a patched template must give exactly what Handlebars itself gives, call after call.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import Runtime from 'handlebars/runtime';
import { describe, expect, it } from 'vitest';
import { registerHelpers } from '../src/template/helpers/index.js';
import { handlebarsVersion, helpersOf, setUpOnce, templateFromSpec, type TemplateFn } from '../src/template/runtime.js';
import { KeyStore } from '../src/keys/store.js';
import { RenderScope } from '../src/template/scope.js';
import { root } from './util.js';

const source = [
  'host={{getv "/db/host"}} port={{getv "/db/port" "5432"}}',
  '{{#each (gets "/upstream/*")}}{{@index}}:{{base key}}={{value}};{{/each}}',
  '{{#if (exists "/db/user")}}user={{getv "/db/user"}}{{else}}no user{{/if}}',
  '{{#with (json (getv "/db/opts"))}}ssl={{ssl}}{{/with}} {{toUpper (lookup (split "a,b" ",") 1)}}',
  '',
].join('\n');

/** The spec as keyplate compiles it, evaluated to the object Handlebars runs. */
function specOf(text: string): { code: string; spec: object } {
  const code = Handlebars.precompile(text, { noEscape: true }) as string;
  return { code, spec: (0, eval)(`(${code})`) as object };
}

function scopeWith(values: Record<string, string>): RenderScope {
  return new RenderScope(new KeyStore(Object.entries(values)), '/', 'test.tmpl', {});
}

const stores: Array<Record<string, string>> = [
  { '/db/host': 'a', '/db/opts': '{"ssl": true}', '/upstream/x': '1', '/upstream/y': '2' },
  { '/db/host': 'b', '/db/port': '1', '/db/user': 'u', '/db/opts': '{"ssl": false}' },
  { '/db/host': 'c', '/db/opts': '{}', '/upstream/z': '3' },
];

describe("Handlebars' private _setup, patched to run once", () => {
  it('the installed Handlebars is the exact version package.json pins', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.handlebars).toMatch(/^\d+\.\d+\.\d+$/);
    expect(handlebarsVersion).toBe(pkg.dependencies.handlebars);
  });

  it('still exists on a template made by the runtime', () => {
    const template = Runtime.template(specOf('x').spec as never) as unknown as { _setup?: unknown };
    expect(typeof template._setup).toBe('function');
  });

  it('is installed by keyplate: the set-up runs once, not on every call', () => {
    const { code, spec } = specOf(source);
    const env = Runtime.create();
    registerHelpers(env);
    const template = env.template(spec as never) as unknown as TemplateFn & { _setup: (o: object) => void };
    let setUps = 0;
    const original = template._setup;
    template._setup = function (this: unknown, options: object) {
      setUps++;
      return original.call(this, options);
    };
    const patched = setUpOnce(template);
    for (const values of stores) patched({}, { data: { keyplate: scopeWith(values) } });
    expect(setUps).toBe(1);
    expect(helpersOf(code)).toEqual(['base', 'each', 'exists', 'gets', 'getv', 'if', 'json', 'lookup', 'split', 'toUpper', 'with']);
  });

  it('gives exactly the output of an unpatched template with every helper registered, call after call', () => {
    const { code, spec } = specOf(source);
    const patched = templateFromSpec(specOf(source).spec, helpersOf(code));
    const env = Runtime.create();
    registerHelpers(env);
    const plain = env.template(spec as never) as unknown as TemplateFn;
    const outputs = stores.map((values) => [patched({}, { data: { keyplate: scopeWith(values) } }), plain({}, { data: { keyplate: scopeWith(values) } })]);
    for (const [mine, theirs] of outputs) expect(mine).toBe(theirs);
    expect(outputs.map(([mine]) => mine)).toEqual([
      'host=a port=5432\n0:x=1;1:y=2;\nno user\nssl=true B\n',
      'host=b port=1\n\nuser=u\nssl=false B\n',
      'host=c port=5432\n0:z=3;\nno user\nssl= B\n',
    ]);
  });
});
