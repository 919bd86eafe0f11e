// Render Go templates the way keyplate will: compiled once, executed against a RenderScope over a key store.
import { compileGoTemplate, type GoRenderResult } from '../../src/template/go/index.js';
import { KeyStore, KeyView } from '../../src/keys/store.js';
import { RenderScope } from '../../src/template/scope.js';

/** Keys most tables read (absolute; the default scope has prefix "/"). */
export const KEYS: Record<string, string> = {
  '/app/name': 'shop',
  '/app/port': '8080',
  '/app/empty': '',
  '/db/host': '10.0.0.1',
  '/db/port': '5432',
  '/upstream/b': '10.0.0.12:80',
  '/upstream/a': '10.0.0.11:80',
  '/upstream/c': '10.0.0.10:80',
  '/json/obj': '{"host":"h","port":8080,"ratio":1.5,"big":1e21,"tiny":0.00001,"on":true,"none":null,"list":["a",2,null],"nested":{"x":"y"}}',
  '/json/list': '["b","a",3]',
  '/top': 'leaf',
  '/deep/er/key': 'v',
};

export interface RenderOptions {
  keys?: Record<string, string>;
  /** The resource's prefix (absolute); template keys are relative to it. */
  prefix?: string;
  /** The resource's keys (absolute prefixes); default: everything. */
  visible?: string[];
  env?: NodeJS.ProcessEnv;
  name?: string;
  cwd?: string;
}

export function scopeFor(options: RenderOptions = {}): RenderScope {
  const store = new KeyStore(Object.entries(options.keys ?? KEYS));
  const prefix = options.prefix ?? '/';
  return new RenderScope(new KeyView(store, options.visible ?? [prefix]), prefix, options.name ?? 't', options.env ?? { HOME: '/home/app', EMPTY: '' });
}

/** The full result (output and recorded keys); throws on parse or execution errors. */
export function renderResult(template: string, options: RenderOptions = {}): GoRenderResult {
  const result = compileGoTemplate(options.name ?? 't', template).render(scopeFor(options), { cwd: options.cwd });
  if (result instanceof Promise) throw new Error('unexpected asynchronous render (a DNS lookup?)');
  return result;
}

/** The output, or "error: " and Go's message: what a table row compares. */
export function render(template: string, options: RenderOptions = {}): string {
  try {
    return renderResult(template, options).output;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}
