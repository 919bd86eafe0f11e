// Confdir → resources with their compiled templates; everything is validated before anything is written.
import type { Resource } from './resources.js';
import { checkLiteralReads } from './reads.js';
import type { RenderLimits } from './render-limits.js';
import { loadResources } from './resources.js';
import { compileTemplates, defaultCacheDir, type CompiledTemplate, type TemplateFile } from './template.js';

export interface LoadedResource {
  resource: Resource;
  template: CompiledTemplate;
}

export interface LoadConfdirOptions {
  confdir: string;
  prefix: string;
  cacheDir?: string | null;
  /** Defaults for resources without render_timeout or max_output (see render-limits.ts). */
  renderLimits?: RenderLimits;
}

export async function loadConfdir({ confdir, prefix, cacheDir, renderLimits }: LoadConfdirOptions): Promise<LoadedResource[]> {
  const cache = cacheDir === null ? undefined : (cacheDir ?? defaultCacheDir());
  const resources = loadResources({ confdir, prefix, cacheDir: cache, renderLimits });
  const files = new Map<string, TemplateFile>();
  for (const r of resources) if (!files.has(r.src)) files.set(r.src, { name: r.srcName, file: r.src });
  const templates = await compileTemplates([...files.values()], { cacheDir: cache });
  const loaded = resources.map((resource) => ({ resource, template: templates.get(resource.src)! }));
  checkLiteralReads(loaded);
  return loaded;
}
