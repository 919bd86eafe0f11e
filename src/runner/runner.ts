// The one loop (consul-template's manager/runner.go is the model): sources feed events into the key store, each change
// makes the resources it touches due, due resources render in batches, and the mode decides when the run ends.
// - once: ends when every resource has rendered or failed (or, with a backend that cannot change, when what is
//   missing cannot arrive); exit 0, 1 (a resource failed) or 3 (keys missing).
// - watch: keeps following until stopped; `onGoal` fires when every resource has rendered (a command starts then).
import { BackendError, type WatchEvent } from '../../backends/types.js';
import { ExitCode } from '../errors.js';
import { KeyStore } from '../keys/store.js';
import { redactValues } from '../ops/redact.js';
import { loadConfdir, type LoadedResource } from '../resources/confdir.js';
import { Batch } from './batch.js';
import { Connection, outageReminderEveryMs, retryingUntil } from './connection.js';
import { mapLimit, processResource, resourceConcurrency, type ResourceOutcome } from './pipeline.js';
import { reloadChanged } from './reload.js';
import type { RunnerOptions } from './run-options.js';
import type { SourceSink } from './sources.js';
import { commandHeldBack, firstPassSummary, prefixesOf, ResourceStates, type ResourceState } from './state.js';
import { Waiting } from './waiting.js';
import { WriteRetry } from './write-retry.js';

/** One run: create, `run()`, and `stop()` from a signal or a command's exit. */
export class Runner {
  readonly #options: RunnerOptions;
  readonly #states: ResourceStates;
  readonly #batch: Batch;
  readonly #connection: Connection;
  readonly #waiting: Waiting;
  readonly #writeRetry: WriteRetry;
  #store: KeyStore;
  #sources?: AbortController;
  #sourceKind: 'watch' | 'poll' | 'read' = 'read';
  #retryTimer?: NodeJS.Timeout;
  #closeConfdirWatch?: () => Promise<void>;
  #end!: (code: number) => void;
  readonly #ended: Promise<number>;
  #stopped = false;
  /** Every resource has rendered once: a command starts now, and a permanent backend error no longer ends the run. */
  #goalReached = false;
  #summarised = false;
  #lastLoopAt = Date.now();
  readonly #startedAt = process.hrtime.bigint();

  constructor(options: RunnerOptions) {
    this.#options = options;
    const keyOf = options.backend.keyOf?.bind(options.backend);
    this.#store = new KeyStore(undefined, keyOf);
    const { log, events } = options.pipeline;
    this.#ended = new Promise<number>((resolve) => (this.#end = resolve));
    this.#states = new ResourceStates(options.resources, keyOf);
    this.#writeRetry = new WriteRetry(log, (file) => {
      const state = this.#states.get(file);
      if (state && !this.#stopped) this.#touch(state);
    });
    this.#batch = new Batch(
      (files) => this.#renderBatch(files),
      (error) => log.error(`unexpected failure while rendering: ${(error as Error).stack ?? error}`),
    );
    const until = retryingUntil(options.waitTimeoutMs, options.backendRetryTimeoutMs);
    this.#connection = new Connection({ log, events, name: options.backend.name, label: options.backendLabel, until });
    this.#waiting = new Waiting({
      log,
      waitTimeoutMs: options.waitTimeoutMs,
      keysCanArrive: this.#keysCanArrive(),
      hint: options.backend.hintForKey?.bind(options.backend),
      states: () => this.#states.all(),
      synced: () => this.#connection.synced,
      lastError: () => this.#connection.lastError,
      backendName: options.backend.name,
      giveUp: (code) => this.stop(code),
      goalReached: () => this.#goalReached,
    });
  }

  /** Missing keys can still arrive: the backend can change, or watch mode follows its files. */
  #keysCanArrive(): boolean {
    return this.#options.mode === 'watch' || this.#options.backend.canChange;
  }

  /** True once the run is ending (stop() was called, or the mode's end came). */
  get stopping(): boolean {
    return this.#stopped;
  }

  /** Run until the mode's end or stop(); resolves with the exit code once everything the run started has ended. */
  async run(): Promise<number> {
    const { mode, watchNote, confdir, pipeline } = this.#options;
    this.#publishSnapshot();
    if (mode === 'watch' && watchNote) pipeline.log.info(watchNote);
    if (!this.#stopped) {
      this.#waiting.start();
      this.#startSources();
    }
    if (mode === 'watch') {
      // After the sources: the confdir watcher's first scan (chokidar stats every file: ~50 ms at 400 files) runs
      // while the backend answers, instead of before it asks. (An edit between the load and the end of that scan was
      // missed before as it is now: the watch starts with ignoreInitial.)
      const { watchConfdir } = await import('./sources.js');
      this.#closeConfdirWatch = await watchConfdir(confdir, () => void this.reloadConfdir('files changed'), pipeline.log);
    }
    const code = await this.#ended;
    await this.#shutdown();
    return code;
  }

  /** End the run with `code`: no new batch starts, the one in progress finishes, then run() resolves. Idempotent. */
  stop(code: number): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#end(code);
  }

  async #shutdown(): Promise<void> {
    this.#sources?.abort();
    clearTimeout(this.#retryTimer);
    this.#writeRetry.clear();
    this.#waiting.close();
    this.#connection.close();
    await this.#batch.stop();
    await this.#closeConfdirWatch?.();
  }

  #startSources(): void {
    const { mode, backend, pollIntervalMs } = this.#options;
    this.#sources?.abort();
    this.#connection.expectAnswer();
    const prefixes = this.#states.prefixes();
    const sink: SourceSink = { onEvent: (event) => this.#onEvent(event), onEnd: (error) => this.#onSourceEnd(error) };
    if (prefixes.length === 0) {
      // Nothing to read: the resources use no keys (or there are none).
      this.#onEvent({ kind: 'reset', values: new Map() });
      return;
    }
    if (mode === 'once' && !backend.canChange) {
      // One read is all a run needs from a backend that cannot change (the start path of a container: kept lean).
      this.#sourceKind = 'read';
      backend.getValues(prefixes).then((values) => sink.onEvent({ kind: 'reset', values }), (error: unknown) => sink.onEnd(error as Error));
      return;
    }
    const controller = (this.#sources = new AbortController());
    this.#sourceKind = pollIntervalMs === undefined ? 'watch' : 'poll';
    void import('./sources.js').then(({ followBackend, pollBackend }) => {
      if (controller.signal.aborted) return;
      if (pollIntervalMs === undefined) followBackend(backend, prefixes, controller.signal, sink);
      else pollBackend(backend, prefixes, pollIntervalMs, controller.signal, sink);
    });
  }

  /** Apply one event to the key store, at once: everything a source delivers in one turn is in before a render. */
  #onEvent(event: WatchEvent): void {
    if (this.#stopped) return;
    this.#lastLoopAt = Date.now();
    if (event.kind !== 'status') this.#options.pipeline.events?.emit('watchEvent', { kind: event.kind });
    switch (event.kind) {
      case 'reset':
        this.#applyReset(event.values);
        break;
      case 'put':
        if (this.#store.get(event.key) === event.value) return;
        this.#store.set(event.key, event.value);
        this.#touchKeys([event.key]);
        break;
      case 'delete':
        if (this.#store.delete(event.key)) this.#touchKeys([event.key]);
        break;
      case 'status':
        this.#connection.status(event.up, event.error);
        if (!event.up && event.error instanceof BackendError && event.error.permanent && !this.#goalReached) this.#giveUp(event.error);
        break;
    }
  }

  #applyReset(values: Map<string, string>): void {
    const first = !this.#connection.synced;
    if (!this.#connection.answeredOnce && this.#options.pipeline.log.enabled('debug')) {
      const ms = (Number(process.hrtime.bigint() - this.#startedAt) / 1e6).toFixed(1);
      this.#options.pipeline.log.debug(`read ${values.size} keys from ${this.#options.backend.name} in ${ms}ms`);
    }
    this.#connection.answered();
    if (this.#store.size === 0) {
      this.#store = KeyStore.adopt(values, this.#store.keyOf); // the backend's fresh map is ours to keep: no copy
      this.#renderAll();
      return;
    }
    // A reconnect or compaction: only what really changed is rendered again.
    const changed = new Set<string>();
    for (const p of this.#states.prefixes().map(this.#store.keyOf)) {
      for (const [k] of this.#store.under(p)) if (!values.has(k)) changed.add(k);
      this.#store.deleteUnder(p);
    }
    for (const [k, v] of values) {
      if (this.#store.get(k) !== v) changed.add(k);
      this.#store.set(k, v);
    }
    if (first) this.#renderAll();
    else this.#touchKeys([...changed]);
  }

  /** Every resource renders in the next batch (the backend's first answer, or after the sources restarted). */
  #renderAll(): void {
    if (this.#states.size === 0) void this.#checkProgress();
    else this.#batch.allDue();
  }

  #touchKeys(keys: readonly string[]): void {
    if (keys.length === 0) return;
    // A resource whose last render failed is retried by any change under its keys (what it reads is unknown).
    for (const s of this.#states.all()) if (keys.some((k) => s.touches(k))) this.#touch(s);
  }

  #touch(state: ResourceState): void {
    this.#batch.touch(state.loaded.resource.file, state.loaded.resource.wait ?? this.#options.quiescence);
  }

  async #renderBatch(files: readonly string[] | undefined): Promise<void> {
    const { pipeline, runReloads } = this.#options;
    const started = process.hrtime.bigint();
    const batch = files ? files.map((f) => this.#states.get(f)).filter((s): s is ResourceState => s !== undefined) : this.#states.all();
    const ctx = this.#options.mode === 'watch' ? { ...pipeline, quietRepeat: (file: string, m: string) => this.#writeRetry.quiet(file, m) } : pipeline;
    const outcomes = await mapLimit(batch, resourceConcurrency, (s) => processResource(ctx, s.loaded, this.#store));
    if (pipeline.log.enabled('debug')) pipeline.log.debug(`rendered ${batch.length} resource${batch.length === 1 ? '' : 's'} in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}ms`);
    const changed = batch.filter((s, i) => this.#applyOutcome(s, outcomes[i]));
    if (changed.length > 0 && runReloads) await this.#reload(changed);
    await this.#checkProgress();
  }

  /** Record a pass's outcome; true when the resource wants a reload (written, or its last reload failed). */
  #applyOutcome(state: ResourceState, outcome: ResourceOutcome): boolean {
    state.attempted = true;
    // What it read decides which later changes touch it; a run that no change can reach needs none of it.
    if (this.#keysCanArrive()) state.keysRead = outcome.render;
    state.error = outcome.error;
    state.changes = outcome.changes;
    if (this.#options.mode === 'watch') this.#writeRetry.note(state.loaded.resource, outcome.error);
    this.#waiting.note(state, outcome.missingKeys);
    const complete = !outcome.error && outcome.missingKeys.length === 0;
    if (complete) {
      state.rendered = true;
      state.lastRenderAt = Date.now();
    }
    if (outcome.written) {
      state.lastWriteChanges = outcome.changes ?? [];
      return true;
    }
    return complete && state.reloadFailed; // a failed reload is tried again after the next good render
  }

  async #reload(changed: readonly ResourceState[]): Promise<void> {
    const { pipeline, mode, hooks } = this.#options;
    const redact = (text: string): string => redactValues(text, this.#store);
    const failed = await reloadChanged(
      changed.map((s) => s.loaded.resource),
      { log: pipeline.log, target: hooks?.reloadTarget?.(), events: pipeline.events, redact, retryLater: mode === 'watch' },
    );
    const failedFiles = new Set(failed.map((r) => r.file));
    for (const s of changed) s.reloadFailed = failedFiles.has(s.loaded.resource.file);
  }

  /** After each batch: the first pass's summary, the goal, and (once) the end. */
  async #checkProgress(): Promise<void> {
    if (!this.#connection.synced || this.#stopped) return;
    const all = this.#states.all();
    if (this.#options.mode === 'once') {
      this.#endOnceSettled(all);
      return;
    }
    this.#summariseFirstPass(all);
    if (!this.#goalReached && all.every((s) => s.rendered)) {
      this.#goalReached = true;
      await this.#options.hooks?.onGoal?.();
    }
  }

  /** --onetime: done when every resource has rendered or failed, or waits for keys that cannot arrive. */
  #endOnceSettled(all: readonly ResourceState[]): void {
    const keysCanArrive = this.#keysCanArrive();
    if (!all.every((s) => s.rendered || s.error || (!keysCanArrive && s.missing.length > 0))) return;
    this.#goalReached = all.every((s) => s.rendered);
    const failed = all.some((s) => s.error || s.reloadFailed);
    const missing = all.some((s) => s.missing.length > 0);
    if (missing) {
      const keys = all.flatMap((s) => s.missing);
      this.#options.pipeline.log.error(`keys are missing, nothing was written for these resources:\n${this.#waiting.report()}`, { keys });
    }
    this.stop(failed ? ExitCode.resourceFailed : missing ? ExitCode.missingKeys : ExitCode.ok);
  }

  /** Watch mode, once: `watching 2 resources on etcd (…); all up to date`, after every resource's first attempt. */
  #summariseFirstPass(all: readonly ResourceState[]): void {
    if (this.#summarised || !all.every((s) => s.attempted)) return;
    this.#summarised = true;
    const { pipeline, backendLabel } = this.#options;
    pipeline.log.info(`watching ${all.length} resource${all.length === 1 ? '' : 's'} on ${backendLabel}; ${firstPassSummary(all, pipeline.write.noop)}`);
    const held = commandHeldBack(all, this.#options.hooks?.commandName);
    if (held) pipeline.log.info(held);
  }

  /** A permanent error before the goal: retrying cannot help until the user changes something. */
  #giveUp(error: Error): void {
    this.#options.pipeline.log.error(`${error.message}; giving up, as retrying cannot help until this is fixed`);
    this.stop(ExitCode.resourceFailed);
  }

  /** A source gave up: the backend's watch rejected (--backend-retry-timeout, a permanent error), or the read failed. */
  #onSourceEnd(error: Error): void {
    if (this.#stopped) return;
    const permanent = error instanceof BackendError && error.permanent;
    if (!permanent || !this.#goalReached) {
      // The backends name --backend-retry-timeout when it is why they gave up; any other end is said here.
      const hint = this.#sourceKind === 'read' || permanent || error.message.includes('--backend-retry-timeout') ? '' : '; giving up (see --backend-retry-timeout)';
      this.#options.pipeline.log.error(`${error.message}${hint}`);
      this.stop(ExitCode.resourceFailed);
      return;
    }
    // Watch mode after the first full render: the files stay as they are, and the watch starts again later.
    this.#connection.status(false, error);
    this.#options.pipeline.log.error(`${error.message}; keeping the last good files, trying again in ${outageReminderEveryMs / 1000}s`);
    this.#retryTimer = setTimeout(() => {
      if (this.#stopped) return;
      this.#connection.resync();
      this.#startSources();
    }, outageReminderEveryMs);
  }

  /** Read the confdir again (its files changed, or the reload signal); a broken edit leaves the last good one running. */
  async reloadConfdir(why: string): Promise<void> {
    const { confdir, prefix, templateEngine, pipeline } = this.#options;
    let loaded: LoadedResource[];
    try {
      loaded = await loadConfdir({ confdir, prefix, templateEngine });
    } catch (error) {
      pipeline.log.error(`confdir edit rejected, still running the last good version: ${(error as Error).message}`);
      return;
    }
    if (this.#stopped) return;
    const before = this.#states.prefixes().join('\n');
    this.#states.replace(loaded);
    pipeline.log.info(`confdir reloaded (${why}): ${loaded.length} resource${loaded.length === 1 ? '' : 's'}`);
    if (prefixesOf(loaded).join('\n') !== before) {
      this.#connection.resync();
      this.#startSources();
    } else {
      for (const s of this.#states.all()) this.#touch(s);
    }
  }

  /** Let /readyz, /healthz, the status page and the metrics read the run's state. */
  #publishSnapshot(): void {
    const { pipeline, backend } = this.#options;
    const events = pipeline.events;
    if (!events) return;
    const startedAt = new Date().toISOString();
    events.snapshot = () => ({
      startedAt,
      backend: { name: backend.name, up: this.#connection.up, synced: this.#connection.synced },
      lastLoopAt: new Date(this.#lastLoopAt).toISOString(),
      resources: this.#states.all().map((s) => s.status()),
    });
    const heartbeat = setInterval(() => (this.#lastLoopAt = Date.now()), 5_000).unref();
    void this.#ended.then(() => clearInterval(heartbeat));
  }
}
