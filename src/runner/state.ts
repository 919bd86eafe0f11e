// What the runner knows of each resource: its last render, the keys it waits for, its last error and write.
import type { KeyplateError } from '../errors.js';
import { Dependencies, type KeysRead } from '../keys/dependencies.js';
import { coveringPrefixes } from '../keys/paths.js';
import type { ResourceStatus } from '../ops/events.js';
import type { LoadedResource } from '../resources/confdir.js';
import type { Change } from '../write/write.js';

/** No keys: shared, so that a resource that misses nothing costs no array (a start follows every resource). */
const noKeys: readonly string[] = Object.freeze([]);

/** One resource as the runner follows it. */
export class ResourceState {
  /** Keys the last render found missing (nothing was written). */
  missing: readonly string[] = noKeys;
  // Fields that stay unset on the usual start are `declare`d: no slot until they are set (a start follows every resource).
  /** When the resource started waiting for keys (ms since the epoch), while it waits. */
  declare missingSince?: number;
  /** The last attempt's error, until an attempt succeeds. */
  declare error?: KeyplateError;
  /** Rendered at least once with every key present. */
  rendered = false;
  /** Rendered, written, or failed at least once since it was loaded. */
  attempted = false;
  /** Its last reload failed: it is reloaded again after its next successful render. */
  reloadFailed = false;
  /** What the last pass found different on disk (empty: up to date). */
  declare changes?: Change[];
  /** The changes of the last write (the file on disk was replaced). */
  declare lastWriteChanges?: Change[];
  /** When it last rendered with every key (ms since the epoch: a number, no Date per resource on the start path). */
  declare lastRenderAt?: number;
  #read?: KeysRead;
  #dependencies?: Dependencies;

  constructor(
    readonly loaded: LoadedResource,
    /** The backend's spelling of keys (KeyStore.keyOf): changed keys come in it, so the resource's `keys` are taken in it. */
    private readonly keyOf?: (key: string) => string,
  ) {}

  /**
   * Remember what the last render read (undefined after a failed render: then any key under its `keys` counts). Only
   * the keys: the render's output is not kept alive (a start renders every resource; its texts are garbage at once).
   */
  set keysRead(read: KeysRead | undefined) {
    this.#read = read && { usedKeys: read.usedKeys, usedPatterns: read.usedPatterns, usedDirs: read.usedDirs, missingKeys: read.missingKeys };
    this.#dependencies = undefined;
  }

  /** True when a change of `key` can change this resource's output. Built on first use: a start may never need it. */
  touches(key: string): boolean {
    const keys = this.loaded.resource.keys;
    this.#dependencies ??= new Dependencies(this.keyOf ? keys.map(this.keyOf) : keys, this.#read);
    return this.#dependencies.touches(key);
  }

  /** The resource as the status page and /readyz show it. */
  status(): ResourceStatus {
    return {
      name: this.loaded.resource.name,
      dest: this.loaded.resource.dest,
      rendered: this.rendered,
      lastRenderAt: this.lastRenderAt === undefined ? undefined : new Date(this.lastRenderAt).toISOString(),
      lastChanges: this.lastWriteChanges,
      missingKeys: [...this.missing],
      lastError: this.error?.message,
    };
  }
}

/** Every resource of the confdir, by its file, in the confdir's order. */
export class ResourceStates {
  /** By file, made on first use: a --onetime run renders them all in order and never looks one up. */
  #byFile?: Map<string, ResourceState>;
  #all: ResourceState[] = [];

  constructor(
    loaded: readonly LoadedResource[],
    /** See ResourceState.keyOf. */
    private readonly keyOf?: (key: string) => string,
  ) {
    this.replace(loaded);
  }

  /** Start over with a (re)loaded confdir: every resource is new, nothing rendered yet. */
  replace(loaded: readonly LoadedResource[]): void {
    this.#all = loaded.map((l) => new ResourceState(l, this.keyOf));
    this.#byFile = undefined;
  }

  /** The resource loaded from `file`, if it is still part of the confdir. */
  get(file: string): ResourceState | undefined {
    if (!this.#byFile) {
      this.#byFile = new Map();
      for (const s of this.#all) this.#byFile.set(s.loaded.resource.file, s);
    }
    return this.#byFile.get(file);
  }

  /** Every state, in the confdir's order. */
  all(): readonly ResourceState[] {
    return this.#all;
  }

  get size(): number {
    return this.#all.length;
  }

  /** The fewest prefixes covering every resource's keys: what the sources read and watch. */
  prefixes(): string[] {
    return prefixesOf(this.#all.map((s) => s.loaded));
  }
}

/** The fewest prefixes covering the resources' keys, sorted. */
export function prefixesOf(loaded: readonly LoadedResource[]): string[] {
  return coveringPrefixes(loaded.flatMap((l) => l.resource.keys));
}

/**
 * How the first pass of a watch left `all`: `all up to date`, or counts such as `1 updated, 2 waiting for keys,
 * 1 failed` (`would change` with --noop). "all up to date" only when it is: every resource rendered, none changed,
 * none failed or waiting.
 */
export function firstPassSummary(all: readonly ResourceState[], noop: boolean): string {
  const count = (n: number, what: string): string => (n > 0 ? `${n} ${what}` : '');
  const updated = all.filter((s) => s.rendered && (s.changes?.length ?? 0) > 0).length;
  const parts = [
    count(updated, noop ? 'would change' : 'updated'),
    count(all.filter((s) => s.rendered).length - updated, 'up to date'),
    count(all.filter((s) => s.missing.length > 0).length, 'waiting for keys'),
    count(all.filter((s) => s.error).length, 'failed'),
    count(all.filter((s) => s.reloadFailed).length, 'reload failed'),
  ].filter(Boolean);
  return parts.length === 1 && updated === 0 && all.every((s) => s.rendered) && !all.some((s) => s.reloadFailed) ? 'all up to date' : parts.join(', ');
}

/** Watch mode with a command, after the first pass: the line saying which resources the command waits for, if any. */
export function commandHeldBack(all: readonly ResourceState[], commandName: string | undefined): string | undefined {
  const held = all.filter((s) => !s.rendered).map((s) => s.loaded.resource.name);
  if (!commandName || held.length === 0) return undefined;
  return `not starting ${commandName} yet: it starts once ${held.join(', ')} ${held.length === 1 ? 'has' : 'have'} rendered`;
}
