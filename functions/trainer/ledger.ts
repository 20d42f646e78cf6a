import { RECORD_BYTES } from '../../src/online/example.ts';
import type { Manifest } from '../../src/registry/index.ts';
import type { TrainingMessage } from '../queue/message.ts';
import { deleteMany, getMany, keys, type Applied, type TrainerStorage } from './state.ts';

/** A delivery's final decision, as the ledger records it. */
export interface Decided {
  delivery: string;
  outcome: Applied['outcome'];
  version: string | null;
  reason: string;
  examples: number;
}

/**
 * Which deliveries were decided, so that each is decided exactly once: by the trainer's own
 * storage (`applied:<id>`) AND by the registry's manifest (a version's `deliveries`, a final
 * decision's), so that a crash between publishing and recording cannot decide one twice.
 *
 * @example
 * const { fresh, duplicates, pending } = await ledger.sort(messages, manifest, inbox);
 */
export class Ledger {
  constructor(
    private readonly storage: TrainerStorage,
    private readonly now: () => Date,
  ) {}

  /**
   * Sorts a batch of messages of one model: `fresh` (never seen; the first message of an id wins),
   * `duplicates` (decided before: a retry, a redelivery, a replay) and `pending` (waiting in the
   * inbox). Decisions the manifest holds but storage lacks are recorded now (repaired).
   */
  async sort(messages: readonly TrainingMessage[], manifest: Manifest, waiting: ReadonlySet<string>): Promise<{ fresh: TrainingMessage[]; duplicates: string[]; pending: string[] }> {
    const byId = new Map<string, TrainingMessage>();
    for (const m of messages) if (!byId.has(m.delivery)) byId.set(m.delivery, m);
    const known = await getMany<Applied>(this.storage, [...byId.keys()].map(keys.applied));
    const inManifest = decidedIn(manifest);
    const fresh: TrainingMessage[] = [];
    const duplicates: string[] = [];
    const pending: string[] = [];
    const repaired: Decided[] = [];
    for (const [id, m] of byId) {
      if (known.has(keys.applied(id))) duplicates.push(id);
      else if (inManifest.has(id)) {
        // Published or decided, but the trainer stopped before recording it: record it now.
        repaired.push({ delivery: id, ...inManifest.get(id)!, examples: m.records.length / RECORD_BYTES });
        duplicates.push(id);
      } else if (waiting.has(id)) pending.push(id);
      else fresh.push(m);
    }
    if (repaired.length) await this.record(repaired);
    return { fresh, duplicates, pending };
  }

  /** Records final decisions, with `extra` entries written in the same atomic put (replay buffer, round log). */
  async record(decided: readonly Decided[], extra: Record<string, unknown> = {}): Promise<void> {
    const at = this.now().toISOString();
    const entries: Record<string, unknown> = { ...extra };
    for (const d of decided) {
      entries[keys.applied(d.delivery)] = { outcome: d.outcome, version: d.version, at, examples: d.examples, reason: d.reason } satisfies Applied;
    }
    entries[keys.appliedCount] = ((await this.storage.get<number>(keys.appliedCount)) ?? 0) + decided.length;
    await this.storage.put(entries);
  }

  /** How many deliveries were decided, ever. */
  async count(): Promise<number> {
    return (await this.storage.get<number>(keys.appliedCount)) ?? 0;
  }

  /**
   * Forgets decisions older than `before` (the replay window): after it, a delivery id may be
   * trained on again. Returns how many were dropped.
   */
  async prune(before: Date): Promise<number> {
    let dropped = 0;
    let start: string | undefined;
    for (;;) {
      const page = await this.storage.list<Applied>({ prefix: 'applied:', start, limit: 1000 });
      if (!page.size) return dropped;
      const old = [...page].filter(([, a]) => Date.parse(a.at) < before.getTime()).map(([k]) => k);
      await deleteMany(this.storage, old);
      dropped += old.length;
      if (page.size < 1000) return dropped;
      start = `${[...page.keys()].at(-1)}\u0000`;
    }
  }
}

/** Every delivery the manifest names as decided, with what became of it (split decisions decide nothing). */
export function decidedIn(m: Manifest): Map<string, Omit<Decided, 'delivery' | 'examples'>> {
  const out = new Map<string, Omit<Decided, 'delivery' | 'examples'>>();
  for (const v of m.versions) for (const d of v.deliveries) out.set(d, { outcome: 'accepted', version: v.version, reason: 'recorded in the manifest' });
  for (const d of m.decisions) {
    if (d.split) continue;
    const decided = d.accepted ? { outcome: 'accepted' as const, version: d.candidate, reason: d.reason } : { outcome: 'rejected' as const, version: d.parent, reason: d.reason };
    for (const id of d.deliveries) if (!out.has(id)) out.set(id, decided);
  }
  return out;
}
