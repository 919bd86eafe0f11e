// The long-running loop: mirror the backend, re-render only what a change touches, wait for missing keys.
import { createBackend } from '../../backends/index.js';
import type { Backend, WatchEvent } from '../../backends/types.js';
import type { Config } from '../config/config.js';
import { Dependencies } from '../keys/dependencies.js';
import { formatDuration } from '../config/duration.js';
import { ExitCode, type KeyplateError } from '../errors.js';
import { loadConfdir, type LoadedResource } from '../resources/confdir.js';
import { reloadChanged, type ReloadTarget } from './reload.js';
import { mapLimit, prefixesOf, processResource, resourceConcurrency, type RunContext } from './pipeline.js';
import { Debouncer } from './quiescence.js';
import { KeyStore } from '../keys/store.js';
import { redactValues } from '../ops/redact.js';
import type { Resource } from '../resources/resource.js';
import type { Change } from '../write/write.js';
import { environmentWithFiles } from '../../backends/env.js';
import { watchFiles } from './confdir-watch.js';

export interface WatchHooks {
  /** Aborting stops the loop gracefully (SIGTERM/SIGINT): the running batch finishes, then exit 0. */
  signal?: AbortSignal;
  /** Every resource has rendered once: the moment to start the supervised command. */
  onReady?: () => void | Promise<void>;
  reloadTarget?: ReloadTarget;
  /** Called with a function that re-reads the confdir (wired to SIGHUP or --reload-signal). */
  onReloadRequest?: (reload: () => void) => void;
}

export interface ResourceState {
  loaded: LoadedResource;
  deps: Dependencies;
  missing: string[];
  missingSince?: number;
  error?: KeyplateError;
  rendered: boolean;
  reloadFailed: boolean;
  lastWrite?: { at: Date; changes: Change[] };
  lastRenderAt?: Date;
}

const waitingReportEvery = 10_000;

export async function watchLoop(ctx: RunContext, config: Config, initial: LoadedResource[], hooks: WatchHooks = {}): Promise<number> {
  const log = ctx.log;
  const loop = new AbortController();
  const mirror = new KeyStore();
  let states = new Map<string, ResourceState>();
  let backend: Backend = ctx.backend;
  let backendUp = true;
  let synced = false;
  let ready = false;
  let finished = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const timers = new Set<NodeJS.Timeout>();
  const startedAt = new Date().toISOString();
  let lastLoopAt = Date.now();
  if (ctx.events) {
    ctx.events.snapshot = () => ({
      startedAt,
      backend: { name: backend.name, up: backendUp, synced },
      lastLoopAt: new Date(lastLoopAt).toISOString(),
      resources: [...states.values()].map((s) => ({
        name: s.loaded.resource.name,
        dest: s.loaded.resource.dest,
        rendered: s.rendered,
        lastRenderAt: s.lastRenderAt?.toISOString(),
        lastChanges: s.lastWrite?.changes,
        missingKeys: s.missing,
        lastError: s.error?.message,
      })),
    });
  }

  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    loop.abort();
    debouncer.clear();
    for (const t of timers) clearTimeout(t);
    // Let a running batch finish: no file is left half-written, a running command ends within its timeout.
    void draining.then(() => resolveDone(code));
  };
  hooks.signal?.addEventListener('abort', () => finish(ExitCode.ok), { once: true });

  const setResources = (loaded: LoadedResource[]): void => {
    const next = new Map<string, ResourceState>();
    for (const l of loaded) {
      next.set(l.resource.file, { loaded: l, deps: new Dependencies(l.resource), missing: [], rendered: false, reloadFailed: false });
    }
    states = next;
  };
  setResources(initial);

  // ---- batching: debounced resources are rendered together, and their reloads run once per batch ----
  const due = new Set<string>();
  let draining: Promise<void> = Promise.resolve();
  let drainScheduled = false;
  const debouncer = new Debouncer<string>((file) => {
    due.add(file);
    scheduleDrain();
  });
  const scheduleDrain = (): void => {
    if (drainScheduled || finished) return;
    drainScheduled = true;
    draining = draining.then(async () => {
      drainScheduled = false;
      try {
        await drain();
      } catch (error) {
        // Never let one bad batch stop every later one: the chain must stay resolved.
        log.error(`unexpected failure while rendering: ${(error as Error).stack ?? error}`);
      }
    });
  };
  const touch = (state: ResourceState): void => {
    const wait = state.loaded.resource.wait ?? { min: config.waitMin, max: config.waitMax };
    debouncer.touch(state.loaded.resource.file, wait);
  };

  const drain = async (): Promise<void> => {
    while (due.size > 0 && !loop.signal.aborted) {
      const batch = [...due].map((f) => states.get(f)).filter((s): s is ResourceState => s !== undefined);
      due.clear();
      const changed: ResourceState[] = [];
      const outcomes = await mapLimit(batch, resourceConcurrency, (state) => processResource(ctx, state.loaded, mirror));
      for (const [i, state] of batch.entries()) {
        const outcome = outcomes[i];
        // A failed render tells nothing about what the template reads: fall back to everything under its keys.
        state.deps = new Dependencies(state.loaded.resource, outcome.render);
        state.error = outcome.error;
        noteMissing(state, outcome.missingKeys);
        if (!outcome.error && outcome.missingKeys.length === 0) {
          state.rendered = true;
          state.lastRenderAt = new Date();
        }
        if (outcome.written) {
          state.lastWrite = { at: new Date(), changes: (outcome.changes ?? []) as Change[] };
          changed.push(state);
        } else if (state.reloadFailed && !outcome.error && outcome.missingKeys.length === 0) {
          changed.push(state); // a failed reload is retried on the next change
        }
      }
      if (changed.length > 0 && !config.noop && !config.syncOnly) {
        const redact = (text: string, resources: readonly Resource[]): string => redactValues(text, mirror, resources.flatMap((r) => r.keys));
        const failed = new Set((await reloadChanged(changed.map((s) => s.loaded.resource), log, hooks.reloadTarget, ctx.events, redact)).map((r) => r.file));
        for (const s of changed) s.reloadFailed = failed.has(s.loaded.resource.file);
      }
      await checkProgress();
    }
  };

  const noteMissing = (state: ResourceState, missing: string[]): void => {
    const before = state.missing.join(', ');
    state.missing = missing;
    if (missing.length === 0) {
      state.missingSince = undefined;
      return;
    }
    if (missing.join(', ') !== before) log.info(`waiting for ${missing.join(', ')}`, { resource: state.loaded.resource.name, keys: missing });
    if (state.missingSince === undefined) {
      state.missingSince = Date.now();
      if (config.waitTimeout !== undefined) {
        const since = state.missingSince;
        addTimer(setTimeout(() => {
          if (state.missingSince !== since || finished) return;
          giveUpWaiting();
        }, config.waitTimeout));
      }
    }
  };

  const giveUpWaiting = (): void => {
    const lines = [...states.values()].filter((s) => s.missing.length > 0).flatMap((s) => s.missing.map((k) => `${s.loaded.resource.name}: missing ${k}${backend.hintForKey ? ` (${backend.hintForKey(k)})` : ''}`));
    log.error(`gave up waiting for keys after ${formatDuration(config.waitTimeout!)}:\n${lines.join('\n')}`, { keys: [...states.values()].flatMap((s) => s.missing) });
    finish(ExitCode.waitTimeout);
  };

  const addTimer = (t: NodeJS.Timeout): void => {
    timers.add(t);
    t.unref?.();
  };

  const checkProgress = async (): Promise<void> => {
    const all = [...states.values()];
    if (!ready && synced && all.every((s) => s.rendered)) {
      ready = true;
      await hooks.onReady?.();
    }
    // --onetime against a backend that can change: done once every resource has rendered or failed.
    if (config.onetime && synced && all.every((s) => s.rendered || (s.error && s.missing.length === 0))) {
      finish(all.some((s) => s.error || s.reloadFailed) ? ExitCode.resourceFailed : ExitCode.ok);
    }
  };

  // ---- applying backend data to the mirror ----
  const applyReset = (values: Map<string, string>, prefixes: readonly string[]): void => {
    const changedKeys: string[] = [];
    for (const p of prefixes) for (const [k] of mirror.under(p)) if (!values.has(k)) changedKeys.push(k);
    for (const p of prefixes) mirror.deleteUnder(p);
    for (const [k, v] of values) {
      if (mirror.get(k) !== v) changedKeys.push(k);
      mirror.set(k, v);
    }
    if (!synced) {
      synced = true;
      for (const s of states.values()) touch(s);
      if (states.size === 0) void checkProgress();
      return;
    }
    // A reconnect or compaction: only what really changed is re-rendered.
    touchKeys([...new Set(changedKeys)]);
  };

  const touchKeys = (keys: readonly string[]): void => {
    if (keys.length === 0) return;
    // A resource that failed is retried by the next change it could depend on (a failed render leaves its
    // dependencies unknown, so any key under its prefixes counts).
    for (const s of states.values()) if (keys.some((k) => s.deps.touches(k))) touch(s);
  };

  const onEvent = (prefixes: readonly string[]) => (event: WatchEvent): void => {
    lastLoopAt = Date.now();
    if (event.kind !== 'status') ctx.events?.emit('watchEvent', { kind: event.kind });
    switch (event.kind) {
      case 'reset':
        applyReset(event.values, prefixes);
        break;
      case 'put':
        if (mirror.get(event.key) === event.value) return;
        mirror.set(event.key, event.value);
        touchKeys([event.key]);
        break;
      case 'delete':
        if (!mirror.delete(event.key)) return;
        touchKeys([event.key]);
        break;
      case 'status':
        if (event.up === backendUp) return;
        backendUp = event.up;
        ctx.events?.emit('backend', { up: event.up });
        if (event.up) log.info(`backend ${backend.name} is back; resynchronising`);
        else log.warn(`backend ${backend.name} lost (${event.error?.message ?? 'unknown error'}); keeping the last good files and retrying`);
        break;
    }
  };

  // ---- sources of change ----
  let sourceController: AbortController | undefined;
  const startSource = (): void => {
    sourceController?.abort();
    const controller = new AbortController();
    sourceController = controller;
    loop.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const prefixes = prefixesOf([...states.values()].map((s) => s.loaded));
    if (config.interval !== undefined || !backend.watch) {
      void poll(prefixes, controller.signal);
      return;
    }
    if (prefixes.length === 0) {
      applyReset(new Map(), []);
      return;
    }
    backend.watch(prefixes, { signal: controller.signal, onEvent: onEvent(prefixes) }).catch((error: Error) => {
      if (controller.signal.aborted) return;
      log.error(`${error.message}; giving up (see --backend-retry-timeout)`);
      finish(ExitCode.resourceFailed);
    });
  };

  const poll = async (prefixes: readonly string[], signal: AbortSignal): Promise<void> => {
    const handler = onEvent(prefixes);
    const { setTimeout: sleep } = await import('node:timers/promises');
    for (;;) {
      try {
        const values = prefixes.length ? await backend.getValues(prefixes) : new Map<string, string>();
        if (signal.aborted) return;
        if (!backendUp) handler({ kind: 'status', up: true });
        handler({ kind: 'reset', values });
      } catch (error) {
        if (signal.aborted) return;
        handler({ kind: 'status', up: false, error: error as Error });
        if (!synced && config.onetime && !backend.watch) {
          log.error((error as Error).message);
          finish(ExitCode.resourceFailed);
          return;
        }
      }
      if (config.interval === undefined) return; // env without --interval: read once; files trigger re-reads
      try {
        await sleep(config.interval, undefined, { signal });
      } catch {
        return;
      }
    }
  };

  // ---- the confdir and env files (chokidar), and SIGHUP ----
  const reloadConfdir = async (why: string): Promise<void> => {
    try {
      const loaded = await loadConfdir({ confdir: config.confdir, prefix: config.prefix });
      const before = prefixesOf([...states.values()].map((s) => s.loaded)).join('\n');
      setResources(loaded);
      log.info(`confdir reloaded (${why}): ${loaded.length} resources`);
      if (prefixesOf(loaded).join('\n') !== before) {
        synced = false;
        startSource();
      } else {
        for (const s of states.values()) touch(s);
      }
    } catch (error) {
      log.error(`confdir edit rejected, still running the last good version: ${(error as Error).message}`);
    }
  };
  const reloadEnvFiles = async (): Promise<void> => {
    try {
      ctx.environment = environmentWithFiles(config.envFiles, ctx.processEnv);
      const next = await createBackend('env', { nodes: [], envFiles: config.envFiles, environment: ctx.processEnv });
      const values = await next.getValues(prefixesOf([...states.values()].map((s) => s.loaded)));
      backend = next;
      ctx.backend = next;
      onEvent(prefixesOf([...states.values()].map((s) => s.loaded)))({ kind: 'reset', values });
      log.info('env files changed; re-rendering what they touch');
      for (const s of states.values()) if (!s.loaded.resource.keys.length) touch(s);
    } catch (error) {
      log.error(`env files rejected, keeping the last values: ${(error as Error).message}`);
    }
  };
  hooks.onReloadRequest?.(() => void reloadConfdir('signal'));

  let closeFileWatch: (() => Promise<void>) | undefined;
  if (!config.onetime) {
    if (backend.name === 'env') log.info('the env backend cannot see changes to the process environment; watching the env files and the confdir instead');
    closeFileWatch = await watchFiles(config, (what) => (what === 'env' ? void reloadEnvFiles() : void reloadConfdir('files changed')), log);
  }

  const waitingTimer = setInterval(() => {
    lastLoopAt = Date.now();
    for (const s of states.values()) {
      if (s.missing.length > 0) log.info(`waiting for ${s.missing.join(', ')}`, { resource: s.loaded.resource.name, keys: s.missing });
    }
  }, waitingReportEvery);
  const heartbeat = setInterval(() => (lastLoopAt = Date.now()), 5_000);
  addTimer(heartbeat);
  addTimer(waitingTimer);

  // The wait bound also covers a backend that never answers: nothing has been read, so every key is missing.
  if (config.waitTimeout !== undefined) {
    addTimer(setTimeout(() => {
      if (synced || finished) return;
      log.error(`gave up after ${formatDuration(config.waitTimeout!)}: no answer from backend ${backend.name} yet, so no resource could render; check --node and that the backend is running`);
      finish(ExitCode.waitTimeout);
    }, config.waitTimeout));
  }

  startSource();
  const code = await done;
  await closeFileWatch?.();
  return code;
}
