// Renders come in batches: resources are due once their quiescence allows, and every due resource renders in the
// next batch. One batch runs at a time. A batch starts in a microtask, once the code that made a resource due has run
// to its end: every event a source delivers in one synchronous run (one etcd revision, say) is in the key store
// before anything renders. (Not a turn of the event loop later: that would let V8 run a scavenge it has scheduled,
// which costs a `--onetime` start a second young-generation GC, ~1 ms and ~90 pages of memory for 100 resources.)
import type { Quiescence } from '../resources/resource.js';
import { Debouncer } from './quiescence.js';

/** Due resources (by file) and the one batch running at a time. */
export class Batch {
  readonly #due = new Set<string>();
  /** Every resource is due (the backend's first answer): no set of files is needed for that. */
  #allDue = false;
  /** Made on the first change: a --onetime run renders everything once and never needs it. */
  #debouncer?: Debouncer<string>;
  #running: Promise<void> = Promise.resolve();
  #scheduled = false;
  #stopped = false;

  /**
   * @param render renders the given resources (undefined: all of them) together, their reloads once per batch; never
   * rejects on its own failures, but if it does, `onFailure` hears of it and later batches still run.
   */
  constructor(
    private readonly render: (files: readonly string[] | undefined) => Promise<void>,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Every resource renders in the next batch, whatever its quiescence (the backend's first answer). */
  allDue(): void {
    if (this.#stopped) return;
    this.#allDue = true;
    this.#schedule();
  }

  /** A change touched this resource: it renders in a batch once `wait` allows. */
  touch(file: string, wait: Quiescence): void {
    if (this.#stopped) return;
    this.#debouncer ??= new Debouncer<string>((due) => {
      this.#due.add(due);
      this.#schedule();
    });
    this.#debouncer.touch(file, wait);
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    this.#running = this.#running.then(() => this.#drain());
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    while ((this.#allDue || this.#due.size > 0) && !this.#stopped) {
      // A change's batch waits for one turn of the event loop: the events a source has already received are applied
      // first (a slow render's backlog arrives as one batch, not one render per event), and a signal or a /healthz
      // probe is served between two renders, however long each takes. Not the first batch: see the top of the file.
      if (!this.#allDue) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#stopped) break;
      const files = this.#allDue ? undefined : [...this.#due];
      this.#allDue = false;
      this.#due.clear();
      if (files) for (const file of files) this.#debouncer?.cancel(file);
      try {
        await this.render(files);
      } catch (error) {
        this.onFailure(error); // one bad batch must never stop every later one
      }
      // Changes that came during the render mark their resource due once; they render after a quiet spell counted
      // from now, with the newest values.
      const now = Date.now();
      if (files) for (const file of files) this.#debouncer?.settled(file, now);
    }
  }

  /** Start no more batches; resolves once the batch in progress, if any, has finished (nothing is left half-done). */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#debouncer?.clear();
    this.#due.clear();
    this.#allDue = false;
    return this.#running;
  }
}
