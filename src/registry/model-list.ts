import * as v from 'valibot';
import { MODEL_NAME } from './manifest.ts';
import type { ObjectStore } from './object-store.ts';
import { parseStored, RegistryError } from './registry.ts';

/** `registry/models.json`: the models made at run time (personal models), beside the bundled ones. */
export const MODEL_LIST_KEY = 'registry/models.json';

export const ModelEntrySchema = v.object({
  name: v.pipe(v.string(), v.regex(MODEL_NAME)),
  /** The model it was forked from. */
  base: v.pipe(v.string(), v.regex(MODEL_NAME)),
  createdAt: v.string(),
});

export const ModelListSchema = v.object({ models: v.array(ModelEntrySchema) });

export type ModelEntry = v.InferOutput<typeof ModelEntrySchema>;

/**
 * The models a deployment holds: those bundled with the Worker and those made by a delivery
 * naming a new model with a base (`{ "model": "writer-a", "base": "digits" }`). The list is one
 * R2 object changed by compare-and-swap, so two first deliveries racing for the last free place
 * cannot both get it.
 *
 * @example
 * const list = new ModelList(env.MODELS, ['digits']);
 * await list.register('writer-a', 'digits', 100);
 */
export class ModelList {
  constructor(
    private readonly store: ObjectStore,
    readonly bundled: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The listed models and the object's etag (an empty list and null when none is stored). */
  async read(): Promise<{ models: ModelEntry[]; etag: string | null }> {
    const obj = await this.store.get(MODEL_LIST_KEY);
    if (!obj) return { models: [], etag: null };
    const { models } = parseStored(await obj.text(), ModelListSchema, MODEL_LIST_KEY);
    return { models, etag: obj.etag };
  }

  /**
   * Adds `name`, forked from `base`, unless it is there already (then the entry as it is). Refused
   * with RegistryError 'limit' when the deployment already holds `limit` models, bundled ones
   * included.
   */
  async register(name: string, base: string, limit: number): Promise<{ entry: ModelEntry; created: boolean }> {
    if (!MODEL_NAME.test(name)) throw new RegistryError('invalid_name', `model name '${name}' must be lowercase letters, digits and dashes (1-63)`);
    for (let attempt = 0; attempt < 60; attempt++) {
      const { models, etag } = await this.read();
      const existing = models.find((m) => m.name === name);
      if (existing) return { entry: existing, created: false };
      if (this.bundled.includes(name)) throw new RegistryError('conflict', `'${name}' is a bundled model; it cannot be forked into`);
      const count = new Set([...this.bundled, ...models.map((m) => m.name)]).size;
      if (count >= limit) throw new RegistryError('limit', `this deployment holds its limit of ${limit} models (MAX_MODELS); '${name}' was not created`);
      const entry: ModelEntry = { name, base, createdAt: this.now().toISOString() };
      const stored = await this.store.put(MODEL_LIST_KEY, JSON.stringify({ models: [...models, entry] }, null, 1), {
        onlyIf: etag ? { etagMatches: etag } : { etagDoesNotMatch: '*' },
        httpMetadata: { contentType: 'application/json' },
      });
      if (stored) return { entry, created: true };
      await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** Math.min(attempt, 5)));
    }
    throw new RegistryError('conflict', `could not update ${MODEL_LIST_KEY} (too much contention)`);
  }
}
