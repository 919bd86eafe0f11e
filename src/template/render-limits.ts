// Bounds on one render, so that a runaway template (`seq` inside `seq`, an `each` over a huge list) fails its
// resource with a message naming the limit, instead of running for minutes or exhausting Node's heap.
import { RenderError } from '../errors.js';
import { formatDuration } from '../config/duration.js';

/** A resource's limits: its render_timeout and max_output fields, or these defaults. */
export interface RenderLimits {
  /** Wall time one render may take, in ms. */
  timeoutMs: number;
  /** Largest output one render may produce, in bytes. */
  maxOutputBytes: number;
}

export const defaultRenderLimits: Readonly<RenderLimits> = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 * 1024 };

/** The most max_output may be: V8 cannot hold a longer string (2^29 - 24 UTF-16 units) in any case. */
export const maxOutputCeiling = 512 * 1024 * 1024;

/** Checks the clock every this many ticks: Date.now() costs ~25 ns, a tick a few. */
const clockEvery = 1024;

/**
 * One render's budget. Loops (`each` iterations) and helper calls tick it; `each` reports the text it built.
 * Throws a RenderError naming the limit and where to raise it once time or output runs out.
 */
export class RenderBudget {
  #ticks = 0;
  readonly #deadline: number;

  constructor(
    readonly limits: RenderLimits,
    /** The template, and the resource file whose fields set the limits, as messages name them. */
    readonly templateName: string,
    readonly resourceName: string,
  ) {
    this.#deadline = Date.now() + limits.timeoutMs;
  }

  tick(): void {
    if (++this.#ticks % clockEvery === 0 && Date.now() > this.#deadline) this.overTime();
  }

  overTime(): never {
    throw new RenderError(
      `${this.templateName}: the render ran past its time limit of ${formatDuration(this.limits.timeoutMs)} and was stopped; if the template is meant to take that long, raise render_timeout in ${this.resourceName}`,
    );
  }

  /** `chars` of text built by one block so far (a UTF-16 length: at most the bytes it will take). */
  grew(chars: number): void {
    if (chars > this.limits.maxOutputBytes) this.overSize();
  }

  /** The finished output, in bytes. */
  checkOutput(output: string): void {
    const max = this.limits.maxOutputBytes;
    if (output.length > max || (output.length * 3 > max && Buffer.byteLength(output, 'utf8') > max)) this.overSize();
  }

  overSize(): never {
    throw new RenderError(
      `${this.templateName}: the render's output passed its size limit of ${formatSize(this.limits.maxOutputBytes)} and was stopped; if the file is meant to be that large, raise max_output in ${this.resourceName}`,
    );
  }
}

interface EachOptions {
  fn: (context: unknown, options: { data: unknown; blockParams: unknown[] }) => string;
  inverse: (context: unknown) => string;
  data?: Record<string, unknown> & { keyplate?: { budget?: RenderBudget } };
}

/** Pieces an `each` joins into one flat string at a time: a loop's output never grows as a rope of tiny strings. */
const chunk = 4096;

/**
 * Handlebars' `each` (same iteration over arrays, iterables and objects, same @index, @key, @first, @last and block
 * parameters), with every iteration ticking the render's budget and the text it builds counted and kept flat.
 * Handlebars' own loop appends to one string, a rope of a node per iteration (~32 bytes each): a million-item loop
 * inside another held gigabytes before any size check could see it. This is the one loop a template has.
 */
export function boundedEach(this: unknown, context: unknown, options: EachOptions): string {
  if (!options || typeof options.fn !== 'function') throw new RenderError('#each needs a block: {{#each list}}…{{/each}}');
  const budget = options.data?.keyplate?.budget;
  if (typeof context === 'function') context = context.call(this);
  // Nothing to iterate (a list the store does not hold yet, often): no frame, no closure.
  if (!context || (Array.isArray(context) && context.length === 0)) return options.inverse(this);
  // Handlebars' createFrame: a copy of the data frame that knows its parent (@../index).
  const data: Record<string, unknown> | undefined = options.data ? { ...options.data, _parent: options.data } : undefined;
  const chunks: string[] = [];
  let pieces: string[] = [];
  let built = 0;
  let count = 0;
  const iteration = (value: unknown, field: string | number, index: number, last: boolean): void => {
    budget?.tick();
    if (data) {
      data.key = field;
      data.index = index;
      data.first = index === 0;
      data.last = last;
    }
    const text = options.fn(value, { data, blockParams: [value, field] });
    built += text.length;
    budget?.grew(built);
    pieces.push(text);
    if (pieces.length === chunk) {
      chunks.push(pieces.join(''));
      pieces = [];
    }
    count++;
  };
  if (context && typeof context === 'object') {
    if (Array.isArray(context)) {
      for (let i = 0; i < context.length; i++) if (i in context) iteration(context[i], i, i, i === context.length - 1);
    } else if (typeof (context as Iterable<unknown>)[Symbol.iterator] === 'function') {
      const items = [...(context as Iterable<unknown>)];
      items.forEach((item, i) => iteration(item, i, i, i === items.length - 1));
    } else {
      const keys = Object.keys(context);
      keys.forEach((key, i) => iteration((context as Record<string, unknown>)[key], key, i, i === keys.length - 1));
    }
  }
  if (count === 0) return options.inverse(this);
  chunks.push(pieces.join(''));
  return chunks.length === 1 ? chunks[0] : chunks.join('');
}

/** Bytes as `64 MiB`, `512 KiB` or `100 bytes`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** A size in bytes: an integer, or a string such as "64MiB", "10 MB", "512k". undefined when `value` is not one. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|bytes?|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const scale = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1;
  const bytes = Math.floor(Number(m[1]) * scale);
  return bytes > 0 ? bytes : undefined;
}
