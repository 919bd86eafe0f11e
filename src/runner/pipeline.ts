// One render pass over every resource, and the --onetime run built on it.
import type { Backend } from '../../backends/types.js';
import { coveringPrefixes } from '../keys/paths.js';
import { ExitCode, KeyplateError, RenderError, WriteError } from '../errors.js';
import type { AgentEvents } from '../ops/events.js';
import type { LoadedResource } from '../resources/confdir.js';
import type { Logger } from '../ops/log.js';
import { renderResource, type ResourceRender } from '../template/render.js';
import { KeyStore } from '../keys/store.js';
import { redactValues } from '../ops/redact.js';
import { writeResource, type WriteOptions, type WriteOutcome } from '../write/write.js';

export interface RunContext {
  backend: Backend;
  log: Logger;
  /** What templates' getenv sees: the process environment plus --env-file values. */
  environment: NodeJS.ProcessEnv;
  /** The process environment alone (env files are re-read on change). */
  processEnv: NodeJS.ProcessEnv;
  write: WriteOptions;
  /** Metrics and the status page listen here. */
  events?: AgentEvents;
}

export interface ResourceOutcome {
  loaded: LoadedResource;
  render?: ResourceRender;
  /** Keys the render found missing (nothing was written). */
  missingKeys: string[];
  written: boolean;
  changes?: string[];
  error?: KeyplateError;
}

/**
 * Run `fn` over `items` with at most `limit` in flight; results in input order. An item `fn` finishes
 * synchronously (a render that compares equal, say) costs no promise and no turn of the event loop.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => R | Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const result = fn(items[i]);
      results[i] = result instanceof Promise ? await result : result;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Resources write different files, so they are processed side by side; I/O waits overlap. */
export const resourceConcurrency = 16;

export function prefixesOf(loaded: readonly LoadedResource[]): string[] {
  return coveringPrefixes(loaded.flatMap((l) => l.resource.keys));
}

/**
 * Render and write one resource; errors are returned, never thrown, so one resource cannot stop the others.
 * Synchronous unless the template looks something up in DNS or the file has to change (check_cmd, --noop diff).
 */
export function processResource(ctx: RunContext, loaded: LoadedResource, store: KeyStore): ResourceOutcome | Promise<ResourceOutcome> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks on first use.
  const started = ctx.events || ctx.log.enabled('debug') ? process.hrtime.bigint() : 0n;
  let rendering: ResourceRender | Promise<ResourceRender>;
  try {
    rendering = renderResource(loaded, store, ctx.environment);
  } catch (error) {
    return renderFailed(ctx, loaded, error);
  }
  if (rendering instanceof Promise) {
    return rendering.then(
      (render) => afterRender(ctx, loaded, store, render, started),
      (error: unknown) => renderFailed(ctx, loaded, error),
    );
  }
  return afterRender(ctx, loaded, store, rendering, started);
}

function renderFailed(ctx: RunContext, loaded: LoadedResource, error: unknown): ResourceOutcome {
  const { resource } = loaded;
  ctx.events?.emit('renderFailed', { resource: resource.name });
  const e = error instanceof KeyplateError ? error : new RenderError(`${resource.srcName}: ${(error as Error).message}`, { cause: error });
  ctx.log.error(`render failed: ${e.message}`, { resource: resource.name });
  return { loaded, missingKeys: [], written: false, error: e };
}

function afterRender(ctx: RunContext, loaded: LoadedResource, store: KeyStore, render: ResourceRender, started: bigint): ResourceOutcome | Promise<ResourceOutcome> {
  const { resource } = loaded;
  const log = ctx.log;
  // Timed only for someone who reads it: metrics, or --log-level debug (a start renders every resource).
  if (ctx.events || log.enabled('debug')) {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    ctx.events?.emit('render', { resource: resource.name, durationMs, missingKeys: render.missingKeys.length });
    log.debug(`rendered in ${durationMs.toFixed(1)}ms`, { resource: resource.name, durationMs, keys: render.missingKeys });
  }
  if (render.undeclaredKeys.length > 0) {
    const e = new RenderError(
      `${resource.file}: the template reads ${render.undeclaredKeys.join(', ')}, outside this resource's keys (${resource.keys.join(', ') || 'none'}); add them to keys`,
    );
    log.error(e.message, { resource: resource.name, keys: render.undeclaredKeys });
    ctx.events?.emit('renderFailed', { resource: resource.name });
    return { loaded, render, missingKeys: render.missingKeys, written: false, error: e };
  }
  if (render.missingKeys.length > 0) return { loaded, render, missingKeys: render.missingKeys, written: false };
  let writing: WriteOutcome | Promise<WriteOutcome>;
  try {
    writing = writeResource(resource, render.output, ctx.write);
  } catch (error) {
    return writeFailed(ctx, loaded, store, render, error);
  }
  if (writing instanceof Promise) {
    return writing.then(
      (outcome) => afterWrite(ctx, loaded, render, outcome),
      (error: unknown) => writeFailed(ctx, loaded, store, render, error),
    );
  }
  return afterWrite(ctx, loaded, render, writing);
}

function afterWrite(ctx: RunContext, loaded: LoadedResource, render: ResourceRender, outcome: WriteOutcome): ResourceOutcome {
  const { resource } = loaded;
  const log = ctx.log;
  if (outcome.changes.length === 0) log.debug('unchanged', { resource: resource.name, dest: resource.dest });
  else if (ctx.write.noop) log.info(`would update ${resource.dest} (${outcome.changes.join(', ')})`, { resource: resource.name });
  else log.info(`updated ${resource.dest} (${outcome.changes.join(', ')})`, { resource: resource.name, dest: resource.dest, changes: outcome.changes });
  if (outcome.written) ctx.events?.emit('write', { resource: resource.name, changes: outcome.changes });
  return { loaded, render, missingKeys: [], written: outcome.written, changes: outcome.changes };
}

function writeFailed(ctx: RunContext, loaded: LoadedResource, store: KeyStore, render: ResourceRender, error: unknown): ResourceOutcome {
  const { resource } = loaded;
  const e = error instanceof KeyplateError ? error : new WriteError(`${resource.name}: ${(error as Error).message}`, { cause: error });
  const output = e instanceof WriteError && e.output ? `\n${redactValues(e.output, store, resource.keys)}` : '';
  ctx.log.error(`${e.message}${output}`, { resource: resource.name });
  ctx.events?.emit(/check_cmd/.test(e.message) ? 'checkFailed' : 'renderFailed', { resource: resource.name });
  return { loaded, render, missingKeys: [], written: false, error: e };
}

export async function readStore(backend: Backend, loaded: readonly LoadedResource[]): Promise<KeyStore> {
  const prefixes = prefixesOf(loaded);
  return prefixes.length === 0 ? new KeyStore() : KeyStore.adopt(await backend.getValues(prefixes));
}

/** `app.toml: missing /database/port (set DATABASE_PORT)`, one line per key. */
export function missingReport(outcomes: readonly ResourceOutcome[], backend: Backend): string {
  return outcomes
    .filter((o) => o.missingKeys.length > 0)
    .flatMap((o) => o.missingKeys.map((k) => `${o.loaded.resource.name}: missing ${k}${backend.hintForKey ? ` (${backend.hintForKey(k)})` : ''}`))
    .join('\n');
}

export function exitCodeOf(outcomes: readonly ResourceOutcome[]): number {
  return outcomes.some((o) => o.error || o.missingKeys.length > 0) ? ExitCode.resourceFailed : ExitCode.ok;
}
