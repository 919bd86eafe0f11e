// Which resources a changed key touches: their used keys, glob patterns, listed dirs and missing keys.
import { isUnder } from './paths.js';
import { pathMatch } from './glob.js';
import type { ResourceRender } from '../template/render.js';
import type { Resource } from '../resources/resource.js';

export class Dependencies {
  readonly #keys = new Set<string>();
  readonly #patterns: string[] = [];
  readonly #dirs: string[] = [];

  constructor(
    private readonly resource: Resource,
    /** Undefined until the first render: then anything under the resource's keys counts. */
    render?: ResourceRender,
  ) {
    if (!render) return;
    for (const k of render.usedKeys) this.#keys.add(k);
    for (const k of render.missingKeys) this.#keys.add(k);
    this.#patterns.push(...render.usedPatterns);
    this.#dirs.push(...render.usedDirs);
    this.known = true;
  }

  readonly known: boolean = false;

  touches(key: string): boolean {
    if (!this.resource.keys.some((p) => isUnder(key, p))) return false;
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
