import { ModelList, ModelRegistry, RegistryError, type ObjectStore } from '../../src/registry/index.ts';
import { loadBundled } from './bundled.ts';
import { describeOnnx, metricsOf } from '../../src/models/describe.ts';

/** The models bundled with the Worker, by name: what a registry without versions serves, and forks start from. */
export type BundledBytes = Readonly<Record<string, Uint8Array<ArrayBuffer>>>;

/**
 * Gives `name` its first version when its registry has none: the bundled model of that name
 * (source offline, note "bundled"), or, for a personal model, a copy of its base's current version
 * (source fork, its `base` recorded; the base's bundled model if the base has no versions yet).
 * Idempotent: if another writer got there first, nothing changes.
 *
 * @example
 * await firstVersion(env.MODELS, 'writer-a', { digits: bytes });
 */
export async function firstVersion(bucket: ObjectStore, name: string, bundled: BundledBytes): Promise<void> {
  const registry = new ModelRegistry(bucket, name);
  if ((await registry.read()).manifest.current) return;
  try {
    if (bundled[name]) {
      const bytes = bundled[name];
      await registry.publish(bytes, { source: 'offline', parent: null, note: 'bundled', expectCurrent: null, metrics: metricsOf(describeOnnx(bytes).metadata) });
      return;
    }
    const entry = (await new ModelList(bucket, Object.keys(bundled)).read()).models.find((m) => m.name === name);
    if (!entry) throw new RegistryError('not_found', `no model named '${name}' is bundled or listed`);
    await registry.fork(await currentOf(bucket, entry.base, bundled));
  } catch (e) {
    if (!(e instanceof RegistryError && e.code === 'stale')) throw e;
  }
}

/** A model's current version with its bytes: the registry's, or its bundled model's. */
async function currentOf(bucket: ObjectStore, name: string, bundled: BundledBytes): Promise<{ model: string; version: string; sha256: string; bytes: Uint8Array; metrics: Record<string, number> }> {
  const served = await new ModelRegistry(bucket, name).serving();
  if (served) return { model: name, version: served.version.version, sha256: served.version.sha256, bytes: served.bytes, metrics: served.version.metrics };
  const bytes = bundled[name];
  if (!bytes) throw new RegistryError('not_found', `the base model '${name}' has no version to fork`);
  const v = await loadBundled({ name, bytes });
  return { model: name, version: v.version, sha256: v.sha256, bytes, metrics: v.metrics };
}
