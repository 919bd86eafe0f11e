// The shared corpus of real confd templates (../shared/corpus/confd-templates, read in place, never copied): each
// case as a resource, a key store filled the way its backend fills keyplate's, and the bytes confd 0.17 wrote.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { createEnvBackend } from '../../backends/env.js';
import { joinKey } from '../../src/keys/paths.js';
import { KeyStore, KeyView } from '../../src/keys/store.js';
import { RenderScope } from '../../src/template/scope.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The corpus directory: $KEYPLATE_CORPUS_DIR (authoritative when set), else `shared/corpus/confd-templates` beside
 * the repository (../shared from the main checkout; a worktree finds it further up). Undefined when absent.
 */
export function corpusDir(): string | undefined {
  const given = process.env.KEYPLATE_CORPUS_DIR;
  if (given) return existsSync(path.join(given, 'MANIFEST.md')) ? given : undefined;
  for (let dir = root; ; dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared', 'corpus', 'confd-templates');
    if (existsSync(path.join(candidate, 'MANIFEST.md'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export interface CorpusCase {
  readonly name: string;
  readonly dir: string;
  /** The template's base name: what confd names the template. */
  readonly templateName: string;
  readonly templateText: string;
  readonly expected: Buffer;
  /** A fresh scope over the case's keys, as keyplate would render the resource. */
  scope(): Promise<RenderScope>;
}

interface TemplateSection {
  src: string;
  prefix?: string;
  keys?: string[];
}

function readJson(file: string): Record<string, string> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/** The env backend's mapping (confd's): leading / dropped, / → _, upper case. */
function envName(key: string): string {
  return key.replace(/^\//, '').replace(/\//g, '_').toUpperCase();
}

export function loadCase(corpus: string, name: string): CorpusCase {
  const dir = path.join(corpus, name);
  const [toml] = readdirSync(path.join(dir, 'conf.d')).filter((f) => f.endsWith('.toml'));
  const section = (parseToml(readFileSync(path.join(dir, 'conf.d', toml), 'utf8')) as unknown as { template: TemplateSection }).template;
  // As keyplate resolves a resource: prefix under the (default) global prefix "/", each key under the prefix.
  const prefix = joinKey('/', section.prefix ?? '');
  const keys = (section.keys ?? []).map((k) => joinKey(prefix, k));
  const backend = readFileSync(path.join(dir, 'backend'), 'utf8').trim();
  const keyValues = readJson(path.join(dir, 'keys.json'));
  // confd never inherits the caller's environment: getenv sees env.json (plus the key variables for env).
  const environment: NodeJS.ProcessEnv = { ...readJson(path.join(dir, 'env.json')) };
  if (backend === 'env') for (const [k, v] of Object.entries(keyValues)) environment[envName(k)] = v;
  const templateName = path.basename(section.src);
  return {
    name,
    dir,
    templateName,
    templateText: readFileSync(path.join(dir, 'templates', section.src), 'utf8'),
    expected: readFileSync(path.join(dir, 'expected', toml.replace(/\.toml$/, ''))),
    async scope() {
      let store: KeyStore;
      if (backend === 'env') {
        const env = createEnvBackend({ nodes: [], envFiles: [], environment });
        store = KeyStore.adopt(await env.getValues(keys));
      } else if (backend === 'etcd') store = new KeyStore(Object.entries(keyValues));
      else throw new Error(`${name}: unknown backend ${backend}`);
      return new RenderScope(new KeyView(store, keys), prefix, templateName, environment);
    },
  };
}

export function caseNames(corpus: string): string[] {
  return readdirSync(corpus, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d\d-/.test(e.name))
    .map((e) => e.name)
    .sort();
}
