// Which resources a changed key touches: their used keys, glob patterns, listed dirs and missing keys.
import { pathMatch } from './glob.js';
import { isUnder } from './paths.js';

/** What one render read, as absolute keys (a template render's record, see src/template/render.ts). */
export interface KeysRead {
  readonly usedKeys: readonly string[];
  readonly usedPatterns: readonly string[];
  readonly usedDirs: readonly string[];
  readonly missingKeys: readonly string[];
}

/** The keys one resource depends on: after a render, exactly what it read; before one, anything under its prefixes. */
export class Dependencies {
  readonly #keys = new Set<string>();
  readonly #patterns: string[] = [];
  readonly #dirs: string[] = [];
  /** True once a render said what the resource reads. */
  readonly known: boolean = false;

  constructor(
    /** The resource's `keys`: nothing outside them can touch it. */
    private readonly prefixes: readonly string[],
    /** Undefined until a render succeeded: then anything under the prefixes counts. */
    read?: KeysRead,
  ) {
    if (!read) return;
    for (const k of read.usedKeys) this.#keys.add(k);
    for (const k of read.missingKeys) this.#keys.add(k);
    this.#patterns.push(...read.usedPatterns);
    this.#dirs.push(...read.usedDirs);
    this.known = true;
  }

  /** True when a change of `key` can change the resource's output. A malformed pattern counts as a match. */
  touches(key: string): boolean {
    if (!this.prefixes.some((p) => isUnder(key, p))) return false;
    if (!this.known) return true;
    if (this.#keys.has(key)) return true;
    for (const dir of this.#dirs) if (isUnder(key, dir)) return true;
    for (const pattern of this.#patterns) {
      try {
        if (pathMatch(pattern, key)) return true;
      } catch {
        return true;
      }
    }
    return false;
  }
}
