// Where changes come from while keyplate follows them: the backend's own watch, a poll (--interval), and the confdir
// on disk (confdir-watch.ts). Each feeds the runner the same events (backends/types.ts WatchEvent). (--onetime with a backend that cannot
// change reads once, in runner.ts.) Loaded only when a run follows changes.
import type { Backend, WatchEvent } from '../../backends/types.js';

/** Where a source delivers: its events, synchronously and in order, and its end when it gives up. */
export interface SourceSink {
  onEvent(event: WatchEvent): void;
  /** The source gave up (the backend's watch rejected, or the one read failed); never called after an abort. */
  onEnd(error: Error): void;
}

/** The backend's own watch of `prefixes`, until `signal` aborts. */
export function followBackend(backend: Backend, prefixes: readonly string[], signal: AbortSignal, sink: SourceSink): void {
  backend.watch(prefixes, { signal, onEvent: sink.onEvent }).catch((error: unknown) => {
    if (!signal.aborted) sink.onEnd(error as Error);
  });
}

/** Read `prefixes` every `intervalMs` (--interval), as a `reset` each time; a failed read is a `status` down. */
export function pollBackend(backend: Backend, prefixes: readonly string[], intervalMs: number, signal: AbortSignal, sink: SourceSink): void {
  void (async () => {
    const { setTimeout: sleep } = await import('node:timers/promises');
    while (!signal.aborted) {
      try {
        const values = await backend.getValues(prefixes);
        if (signal.aborted) return;
        sink.onEvent({ kind: 'status', up: true });
        sink.onEvent({ kind: 'reset', values });
      } catch (error) {
        if (signal.aborted) return;
        sink.onEvent({ kind: 'status', up: false, error: error as Error });
      }
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch {
        return; // aborted
      }
    }
  })();
}

export { watchConfdir } from './confdir-watch.js';
