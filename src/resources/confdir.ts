// Confdir → resources with their compiled templates; everything is validated before anything is written.
import { defaultCacheDir } from '../cache/disk.js';
import { ConfigError } from '../errors.js';
import { compileTemplates, type CompiledTemplate, type TemplateFile } from '../template/handlebars.js';
import { destProblems } from './destination.js';
import { loadResources, type Resource } from './resource.js';

export interface LoadedResource {
  resource: Resource;
  template: CompiledTemplate;
}

export interface LoadConfdirOptions {
  confdir: string;
  prefix: string;
  cacheDir?: string | null;
}

/**
 * Every resource of the confdir with its compiled template, all validated before anything is written (a dest that
 * is not a regular file included); throws one ConfigError listing every problem (exit 2). `cacheDir`: null disables
 * the cache, undefined means the default.
 */
export async function loadConfdir({ confdir, prefix, cacheDir }: LoadConfdirOptions): Promise<LoadedResource[]> {
  const cache = cacheDir === null ? undefined : (cacheDir ?? defaultCacheDir());
  const resources = loadResources({ confdir, prefix, cacheDir: cache });
  // Judged at every start, never cached: what sits at a dest can change between runs.
  const refused = destProblems(resources);
  if (refused.size > 0) throw new ConfigError(resources.flatMap((r) => (refused.has(r.dest) ? [`${r.file}: ${refused.get(r.dest)}`] : [])).join('\n'));
  const files = new Map<string, TemplateFile>();
  for (const r of resources) if (!files.has(r.src)) files.set(r.src, { name: r.srcName, file: r.src });
  const templates = await compileTemplates([...files.values()], { cacheDir: cache });
  return resources.map((resource) => ({ resource, template: templates.get(resource.src)! }));
}
