// Confdir → resources with their compiled templates; everything is validated before anything is written.
import { defaultCacheDir } from '../cache/disk.js';
import { ConfigError } from '../errors.js';
import type { TemplateEngineSetting } from '../template/engine-names.js';
import { compileChosenTemplates, type ChosenTemplate } from '../template/engine.js';
import { checkLiteralReads } from '../template/reads.js';
import type { RenderLimits } from '../template/render-limits.js';
import { destProblems } from './destination.js';
import { loadResources, type Resource } from './resource.js';

export interface LoadedResource {
  resource: Resource;
  /** The compiled template, with the engine that renders it and why. */
  template: ChosenTemplate;
}

export interface LoadConfdirOptions {
  confdir: string;
  prefix: string;
  cacheDir?: string | null;
  /** Defaults for resources without render_timeout or max_output (see template/render-limits.ts). */
  renderLimits?: RenderLimits;
  /** The template_engine setting (default auto: see template/engine-choice.ts). */
  templateEngine?: TemplateEngineSetting;
}

/**
 * Every resource of the confdir with its compiled template, all validated before anything is written (a dest that
 * is not a regular file included, and every literal read outside a resource's keys); throws one ConfigError listing
 * every problem (exit 2). `cacheDir`: null disables the cache, undefined means the default.
 */
export async function loadConfdir({ confdir, prefix, cacheDir, renderLimits, templateEngine }: LoadConfdirOptions): Promise<LoadedResource[]> {
  const cache = cacheDir === null ? undefined : (cacheDir ?? defaultCacheDir());
  const resources = loadResources({ confdir, prefix, cacheDir: cache, renderLimits });
  // Judged at every start, never cached: what sits at a dest can change between runs.
  const refused = destProblems(resources);
  if (refused.size > 0) throw new ConfigError(resources.flatMap((r) => (refused.has(r.dest) ? [`${r.file}: ${refused.get(r.dest)}`] : [])).join('\n'));
  const requests = resources.map((r) => ({ name: r.srcName, file: r.src, engine: r.engine, resourceFile: r.file }));
  const templateOf = await compileChosenTemplates(requests, { cacheDir: cache, setting: templateEngine });
  const loaded = resources.map((resource, i) => ({ resource, template: templateOf(requests[i]) }));
  // Literal reads outside a resource's keys, whichever engine reads the template (template/reads.ts).
  checkLiteralReads(loaded);
  return loaded;
}
