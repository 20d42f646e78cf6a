import { isRetired, versionKey, versionNumber } from './manifest.ts';
import type { ObjectStore } from './object-store.ts';
import type { ModelRegistry } from './registry.ts';

/** What sweeping needs beyond the registry's subset of R2: listing and deleting (an R2 binding has both). */
export interface SweepStore extends ObjectStore {
  list(options: { prefix: string; cursor?: string; limit?: number }): Promise<{
    objects: Array<{ key: string; uploaded: Date }>;
    truncated: boolean;
    cursor?: string;
  }>;
  delete(keys: string | string[]): Promise<void>;
}

export interface SweepReport {
  /** Objects of retired versions deleted. */
  retired: string[];
  /** Objects no manifest or archive page names (a publish that failed halfway), deleted. */
  orphans: string[];
}

/**
 * Deletes a model's objects that nothing may read any more: the version objects of retired online
 * versions (ModelRegistry.retire), version objects and archive pages that neither the manifest nor
 * an archive page names (left by a publish or an archiving that failed halfway). An unnamed object
 * younger than `graceMs` is left alone: it may belong to a publish in progress, whose manifest
 * update has not landed yet. Idempotent: a sweep cut short by a failure is finished by the next.
 *
 * @example
 * await registry.retire(cutoff);
 * await sweep(registry, env.MODELS, { now: new Date(), graceMs: 3_600_000 });
 */
export async function sweep(registry: ModelRegistry, store: SweepStore, o: { now: Date; graceMs: number }): Promise<SweepReport> {
  const { manifest: m } = await registry.read();
  const listed = new Set(m.versions.map((v) => v.version));
  const pages = new Set(m.archive.pages);
  let archived: Promise<Set<string>> | null = null;
  const archivedNames = () => (archived ??= registry.archived(m).then((all) => new Set(all.flatMap((p) => p.versions.map((v) => v.version)))));
  const report: SweepReport = { retired: [], orphans: [] };
  const old = (uploaded: Date) => uploaded.getTime() < o.now.getTime() - o.graceMs;
  const prefix = `models/${registry.name}/`;
  let cursor: string | undefined;
  do {
    const page = await store.list({ prefix, cursor, limit: 1000 });
    for (const object of page.objects) {
      const rest = object.key.slice(prefix.length);
      const version = /^(v\d+)\.onnx$/.exec(rest)?.[1];
      if (version && object.key === versionKey(registry.name, version)) {
        if (listed.has(version)) continue;
        // Unlisted below the mark: an archived online version (offline versions and forks are never archived) or an orphan.
        if (isRetired(m, { version, source: 'online' })) {
          await store.delete(object.key);
          report.retired.push(object.key);
        } else if (versionNumber(version) >= m.retired.below && old(object.uploaded) && !(await archivedNames()).has(version)) {
          await store.delete(object.key);
          report.orphans.push(object.key);
        }
      } else if (rest.startsWith('archive/') && !pages.has(object.key) && old(object.uploaded)) {
        await store.delete(object.key);
        report.orphans.push(object.key);
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return report;
}
