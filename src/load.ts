// Confdir → resources with their compiled templates; everything is validated before anything is written.
import type { Resource } from './resources.js';
import { loadResources } from './resources.js';
import { compileTemplate, defaultCacheDir, type CompiledTemplate } from './template.js';
import { ConfigError } from './errors.js';

export interface LoadedResource {
  resource: Resource;
  template: CompiledTemplate;
}

export interface LoadConfdirOptions {
  confdir: string;
  prefix: string;
  cacheDir?: string | null;
}

export async function loadConfdir({ confdir, prefix, cacheDir }: LoadConfdirOptions): Promise<LoadedResource[]> {
  const cache = cacheDir === null ? undefined : (cacheDir ?? defaultCacheDir());
  const resources = loadResources({ confdir, prefix, cacheDir: cache });
  const compiled = new Map<string, Promise<CompiledTemplate>>();
  for (const r of resources) {
    if (!compiled.has(r.src)) compiled.set(r.src, compileTemplate(r.srcName, r.src, { cacheDir: cache }));
  }
  const problems: string[] = [];
  const templates = new Map<string, CompiledTemplate>();
  for (const [src, promise] of compiled) {
    try {
      templates.set(src, await promise);
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error.message);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return resources.map((resource) => ({ resource, template: templates.get(resource.src)! }));
}
