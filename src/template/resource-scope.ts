// The render scope of one resource: what the store helpers need beyond the key view (the resource's keys, for
// reads outside them, and the render's budget).
import { RenderBudget } from './render-limits.js';
import type { KeyedResource } from './reads.js';
import type { KeyReader } from '../keys/store.js';
import { RenderScope } from './scope.js';

/** A RenderScope that knows its resource (name, keys, prefix, limits) and carries the render's budget. */
export class ResourceScope extends RenderScope {
  readonly budget: RenderBudget;

  constructor(
    store: KeyReader,
    readonly resource: KeyedResource & { readonly renderTimeout: number; readonly maxOutput: number },
    templateName: string,
    environment?: NodeJS.ProcessEnv,
  ) {
    super(store, resource.prefix, templateName, environment);
    this.budget = new RenderBudget({ timeoutMs: resource.renderTimeout, maxOutputBytes: resource.maxOutput }, templateName, resource.name);
  }
}
