// One resource through the pipeline: render against the key store, then the safe write. Errors are returned, never
// thrown, so one resource cannot stop the others. The context carries no backend: what a missing key needs is the
// runner's to say (src/runner/waiting.ts).
import { CheckError, KeyplateError, RenderError, WriteError } from '../errors.js';
import type { KeyStore } from '../keys/store.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import { redactValues } from '../ops/redact.js';
import type { LoadedResource } from '../resources/confdir.js';
import type { RenderResult } from '../template/handlebars.js';
import { renderResource, type ResourceRender } from '../template/render.js';
import { writeResource, type Change, type WriteOptions, type WriteOutcome } from '../write/write.js';

/** What every resource's pass needs: where to log, what getenv sees, how to write, and who listens. */
export interface PipelineContext {
  log: Logger;
  /** What templates' getenv sees: the process environment plus --env-file values, as read at start. */
  environment: NodeJS.ProcessEnv;
  write: WriteOptions;
  /** Metrics and the status page listen here. */
  events?: AgentEvents;
  /** Watch mode: true for a write error that repeats one a retry streak logged already (write-retry.ts): not again. */
  quietRepeat?: (file: string, message: string) => boolean;
}

/** How one resource's pass ended. */
export interface ResourceOutcome {
  loaded: LoadedResource;
  render?: ResourceRender;
  /** Keys the render found missing (nothing was written), as shown to people (see shownKeys). */
  missingKeys: string[];
  written: boolean;
  changes?: Change[];
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

/** `message` without a leading `name: `: the log line names the resource already, once. */
function withoutName(message: string, name: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/**
 * Render one resource, nothing more: the rendered text with what it read, or why it cannot be written (a render
 * error, a key read outside the resource's keys). `keyplate check` and the run share it, so they judge alike.
 * Synchronous unless the template looks something up in DNS.
 */
export function renderOutcome(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore): ResourceOutcome | Promise<ResourceOutcome> {
  return pass(ctx, loaded, store, false);
}

/**
 * Render and write one resource. Synchronous unless the template looks something up in DNS or the file has to
 * change (check_cmd, --noop diff).
 */
export function processResource(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore): ResourceOutcome | Promise<ResourceOutcome> {
  return pass(ctx, loaded, store, true);
}

function pass(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore, write: boolean): ResourceOutcome | Promise<ResourceOutcome> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks on first use.
  const started = ctx.events || ctx.log.enabled('debug') ? process.hrtime.bigint() : 0n;
  let rendering: ResourceRender | Promise<ResourceRender>;
  try {
    rendering = renderResource(loaded.template, loaded.resource, store, ctx.environment);
  } catch (error) {
    return renderFailed(ctx, loaded, store, error);
  }
  if (rendering instanceof Promise) {
    return rendering.then(
      (render) => afterRender(ctx, loaded, store, render, started, write),
      (error: unknown) => renderFailed(ctx, loaded, store, error),
    );
  }
  return afterRender(ctx, loaded, store, rendering, started, write);
}

function renderFailed(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore, error: unknown): ResourceOutcome {
  const { resource } = loaded;
  ctx.events?.emit('renderFailed', { resource: resource.name });
  const e = withoutValues(error instanceof KeyplateError ? error : new RenderError(`${resource.srcName}: ${(error as Error).message}`, { cause: error }), store);
  ctx.log.error(`render failed: ${e.message}`, { resource: resource.name });
  return { loaded, missingKeys: [], written: false, error: e };
}

/**
 * `keys` (read by `render` for `resource`) as logs, `keyplate check`, /readyz and the status page show them: a key
 * the template computed (RenderScope.readArg) that holds a backend value, in any form redaction hides (values of 4
 * characters or more, see ops/redact.ts), by its template position instead. The same array when none is computed.
 */
export function shownKeys(keys: string[], render: Pick<RenderResult, 'computed'>, store: KeyStore): string[] {
  const computed = render.computed;
  if (computed === undefined || keys.length === 0) return keys;
  return keys.map((k) => {
    const position = computed.get(k);
    if (position === undefined || redactValues(k, store) === k) return k;
    return `${position} (a key the template computed from values; not shown)`;
  });
}

function afterRender(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore, render: ResourceRender, started: bigint, write: boolean): ResourceOutcome | Promise<ResourceOutcome> {
  const { resource } = loaded;
  const log = ctx.log;
  // Timed only for someone who reads it: metrics, or --log-level debug (a start renders every resource).
  if (ctx.events || log.enabled('debug')) {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    ctx.events?.emit('render', { resource: resource.name, durationMs, missingKeys: render.missingKeys.length });
    log.debug(`rendered in ${durationMs.toFixed(1)}ms`, { resource: resource.name, durationMs, keys: shownKeys(render.missingKeys, render, store) });
  }
  if (render.undeclaredKeys.length > 0) {
    // A key outside the resource's keys can never arrive: a mistake in the resource, not a wait.
    const e = new RenderError(
      `${resource.file}: the template reads ${shownKeys(render.undeclaredKeys, render, store).join(', ')}, outside this resource's keys (${resource.keys.join(', ') || 'none'}); add them to keys`,
    );
    log.error(withoutName(e.message, resource.file), { resource: resource.name, keys: shownKeys(render.undeclaredKeys, render, store) });
    ctx.events?.emit('renderFailed', { resource: resource.name });
    return { loaded, render, missingKeys: [], written: false, error: e };
  }
  if (!write || render.missingKeys.length > 0) return { loaded, render, missingKeys: shownKeys(render.missingKeys, render, store), written: false };
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

function afterWrite(ctx: PipelineContext, loaded: LoadedResource, render: ResourceRender, outcome: WriteOutcome): ResourceOutcome {
  const { resource } = loaded;
  const log = ctx.log;
  if (outcome.changes.length === 0) log.debug('unchanged', { resource: resource.name, dest: resource.dest });
  else if (ctx.write.noop) log.info(`would update ${resource.dest} (${outcome.changes.join(', ')})`, { resource: resource.name });
  else log.info(`updated ${resource.dest} (${outcome.changes.join(', ')})`, { resource: resource.name, dest: resource.dest, changes: outcome.changes });
  if (outcome.written) ctx.events?.emit('write', { resource: resource.name, changes: outcome.changes });
  return { loaded, render, missingKeys: [], written: outcome.written, changes: outcome.changes };
}

function writeFailed(ctx: PipelineContext, loaded: LoadedResource, store: KeyStore, render: ResourceRender, error: unknown): ResourceOutcome {
  const { resource } = loaded;
  const e = withoutValues(error instanceof KeyplateError ? error : new WriteError(`${resource.name}: ${(error as Error).message}`, { cause: error }), store);
  const output = e instanceof WriteError && e.output ? `\n${redactValues(e.output, store)}` : '';
  if (!ctx.quietRepeat?.(resource.file, e.message)) ctx.log.error(`${withoutName(e.message, resource.name)}${output}`, { resource: resource.name });
  ctx.events?.emit(e instanceof CheckError ? 'checkFailed' : 'renderFailed', { resource: resource.name });
  return { loaded, render, missingKeys: [], written: false, error: e };
}

/**
 * `error` with every backend value in its message hidden (redactValues): an engine's message may quote what it was
 * given (Go's `strconv.Atoi: parsing "…"`, `range can't iterate over …`, a key computed from a value), and the
 * message reaches the log, `keyplate check`, /readyz and the status page. Its cause, which may hold the same text,
 * is dropped when anything was hidden; the error keeps its class (exit codes go by class).
 */
function withoutValues<E extends Error>(error: E, store: KeyStore): E {
  const message = redactValues(error.message, store);
  if (message === error.message) return error;
  error.message = message;
  delete (error as { cause?: unknown }).cause;
  return error;
}
