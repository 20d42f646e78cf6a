import { sweep, type SweepReport, type SweepStore } from '../../src/registry/index.ts';
import { ORPHAN_GRACE_MS } from '../limits.ts';
import { Ledger } from './ledger.ts';
import { deleteMany, keys, type TrainerStorage } from './state.ts';
import type { OnlineLearner } from './learner.ts';

/** What one retention pass did. */
export interface RetentionReport {
  at: string;
  /** Online versions retired from the manifest now. */
  retired: string[];
  /** Objects deleted: of retired versions, and orphans. */
  deleted: SweepReport;
  /** Decided deliveries forgotten (past the replay window). */
  forgotten: number;
  /** Cached holdout answers of versions no longer listed, dropped. */
  answersDropped: number;
}

export interface RetentionPolicy {
  now: Date;
  /** Online versions no longer current are retired this long after they were made. */
  versionDays: number;
  /** Decided deliveries are remembered this long (the replay window). */
  deliveryDays: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * One retention pass of a model, under its learner's lock: retires old online versions in the
 * manifest (ModelRegistry.retire: never the current one, its parent, an offline version or a fork,
 * nor anything younger than the window), deletes the objects nothing may read any more (sweep:
 * retired versions, orphans of failed publishes), forgets decided deliveries past the replay window
 * and drops cached answers of versions gone. Every step is idempotent: a pass cut short by an R2
 * failure leaves the manifest consistent and the next pass finishes the work.
 *
 * @example
 * await retain(learner, env.MODELS, ctx.storage, { now: new Date(), versionDays: 30, deliveryDays: 7 });
 */
export function retain(learner: OnlineLearner, store: SweepStore, storage: TrainerStorage, policy: RetentionPolicy): Promise<RetentionReport> {
  return learner.locked(async () => {
    const registry = learner.registry();
    const { manifest, retired } = await registry.retire(new Date(policy.now.getTime() - policy.versionDays * DAY_MS));
    const deleted = await sweep(registry, store, { now: policy.now, graceMs: ORPHAN_GRACE_MS });
    const forgotten = await new Ledger(storage, () => policy.now).prune(new Date(policy.now.getTime() - policy.deliveryDays * DAY_MS));
    const listed = new Set(manifest.versions.map((v) => v.sha256));
    const prefix = `answers:${await learner.holdoutHash()}:`;
    const cached = [...(await storage.list({ prefix: 'answers:' })).keys()];
    // `score:` keys (holdout scores stored by earlier releases) are read by nothing.
    const legacy = [...(await storage.list({ prefix: 'score:' })).keys()];
    const stale = [...cached.filter((k) => !k.startsWith(prefix) || !listed.has(k.slice(prefix.length))), ...legacy];
    await deleteMany(storage, stale);
    await storage.put({ [keys.retainedAt]: policy.now.getTime() });
    const report = { at: policy.now.toISOString(), retired, deleted, forgotten, answersDropped: stale.length };
    if (retired.length || deleted.retired.length || deleted.orphans.length || forgotten) {
      console.log(`retention ${registry.name}: retired ${retired.length} versions, deleted ${deleted.retired.length + deleted.orphans.length} objects (${deleted.orphans.length} orphans), forgot ${forgotten} deliveries`);
    }
    return report;
  });
}
