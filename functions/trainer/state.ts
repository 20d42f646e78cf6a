/**
 * The trainer's durable memory: a key-value store. A Durable Object's `ctx.storage` satisfies it
 * (SQLite-backed; one put of several keys is atomic); tests may pass a Map-backed one.
 */
export interface TrainerStorage {
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  put<T>(entries: Record<string, T>): Promise<void>;
  list<T>(options: { prefix: string; start?: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>>;
  delete(keys: string | string[]): Promise<unknown>;
}

/** What happened to a delivery. */
export type Outcome = 'accepted' | 'rejected';

/** One delivery decided: kept for the replay window, so that a redelivery, a retry or a replay is recognised. */
export interface Applied {
  outcome: Outcome;
  /** The version it produced (accepted), or the candidate's parent it was measured against (rejected). */
  version: string | null;
  /** When it was decided (ISO 8601). */
  at: string;
  examples: number;
  /** The gate's reason, in words. */
  reason?: string;
}

/** One training round, as the trainer logs it (the newest `ROUNDS_KEPT`). */
export interface Round {
  at: string;
  deliveries: string[];
  /** Examples of the deliveries (holdout copies dropped), and how many of them were held out for the validation share. */
  examples: number;
  heldOut: number;
  /** Examples dropped because they are holdout images (the gate's yardstick is never trained on). */
  droppedHoldout: number;
  /** `split`: rejected as a group of several deliveries, retried in halves. */
  outcome: Outcome | 'split';
  parent: string;
  version: string | null;
  reason: string;
  holdoutAccuracy: number;
  parentHoldoutAccuracy: number;
  /** Which layers trained, and how (src/online plan.ts). */
  plan: string;
  examplePasses: number;
  /** The budget TRAIN_CPU_BUDGET_MS converted to FLOPs, what training spent, and whether the budget cut it short. */
  budgetFlops: number;
  flops: number;
  truncated: boolean;
  /** Wall time of the whole round (reading, training, scoring, exporting, publishing), in ms. */
  roundMs: number;
}

export const ROUNDS_KEPT = 100;

/** Storage keys, in one place. */
export const keys = {
  applied: (delivery: string) => `applied:${delivery}`,
  /** A delivery waiting in the inbox (a correction for its batch, or a half of a rejected round). */
  inbox: (delivery: string) => `inbox:${delivery}`,
  /** The groups of deliveries waiting to be retried (halves of rejected rounds), in order. */
  groups: 'groups',
  /** One key per class: the replay buffer's reservoir of that class (ReplayBuffer.classBytes). */
  replay: (c: number) => `replay:${c}`,
  /** One key per class: the validation share (ValidationShare.classBytes). */
  share: (c: number) => `share:${c}`,
  /** A version's answers on the holdout, by model sha256, under the holdout's own hash (a new holdout invalidates them). */
  answers: (holdout: string, sha256: string) => `answers:${holdout}:${sha256}`,
  /** Rounds by a sortable sequence key. */
  round: (seq: number) => `round:${String(seq).padStart(12, '0')}`,
  rounds: 'rounds',
  appliedCount: 'appliedCount',
  /** When retention last ran (ms since the epoch). */
  retainedAt: 'retainedAt',
};

/**
 * A Map-backed TrainerStorage (for tests and scripts that run the trainer outside a Durable Object).
 *
 * @example
 * const trainer = new OnlineLearner({ ..., storage: new MemoryStorage() });
 */
export class MemoryStorage implements TrainerStorage {
  readonly map = new Map<string, unknown>();

  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  async get<T>(k: string | string[]): Promise<T | undefined | Map<string, T>> {
    if (typeof k === 'string') return structuredClone(this.map.get(k)) as T | undefined;
    const out = new Map<string, T>();
    for (const key of k) if (this.map.has(key)) out.set(key, structuredClone(this.map.get(key)) as T);
    return out;
  }

  async put<T>(entries: Record<string, T>): Promise<void> {
    for (const [k, v] of Object.entries(entries)) this.map.set(k, structuredClone(v));
  }

  async delete(k: string | string[]): Promise<boolean> {
    let any = false;
    for (const key of typeof k === 'string' ? [k] : k) any = this.map.delete(key) || any;
    return any;
  }

  async list<T>(options: { prefix: string; start?: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>> {
    let found = [...this.map.keys()].filter((k) => k.startsWith(options.prefix) && (options.start === undefined || k >= options.start)).sort();
    if (options.reverse) found.reverse();
    if (options.limit !== undefined) found = found.slice(0, options.limit);
    return new Map(found.map((k) => [k, structuredClone(this.map.get(k)) as T]));
  }
}

/** Durable Objects read and delete at most 128 keys at once. */
export async function getMany<T>(storage: TrainerStorage, list: readonly string[]): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (let i = 0; i < list.length; i += 128) for (const [k, v] of await storage.get<T>(list.slice(i, i + 128))) out.set(k, v);
  return out;
}

export async function deleteMany(storage: TrainerStorage, list: readonly string[]): Promise<void> {
  for (let i = 0; i < list.length; i += 128) await storage.delete(list.slice(i, i + 128));
}
