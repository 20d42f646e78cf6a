import type { HoldoutScore } from '../../src/online/gate.ts';

/**
 * The trainer's durable memory: a key-value store. A Durable Object's `ctx.storage` satisfies it
 * (SQLite-backed, transactional per put); tests may pass a Map-backed one.
 */
export interface TrainerStorage {
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  put<T>(entries: Record<string, T>): Promise<void>;
  list<T>(options: { prefix: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>>;
  delete(key: string): Promise<unknown>;
}

/** What happened to a delivery. */
export type Outcome = 'accepted' | 'rejected';

/** One delivery applied: kept forever, so that a redelivery, a retry or a replay is recognised. */
export interface Applied {
  outcome: Outcome;
  /** The version it produced (accepted), or the candidate's parent it was measured against (rejected). */
  version: string | null;
  /** When it was applied (ISO 8601). */
  at: string;
  examples: number;
}

/** One training round, as the trainer logs it (the newest `ROUNDS_KEPT`). */
export interface Round {
  at: string;
  deliveries: string[];
  examples: number;
  /** Examples dropped because they are holdout images (the gate's yardstick is never trained on). */
  droppedHoldout: number;
  outcome: Outcome;
  parent: string;
  version: string | null;
  reason: string;
  holdoutAccuracy: number;
  parentHoldoutAccuracy: number;
  examplePasses: number;
  /** The pass budget TRAIN_CPU_BUDGET_MS converted to, and whether it cut training short. */
  maxExamplePasses: number;
  truncated: boolean;
  /** Wall time of the whole round (reading, training, scoring, exporting, publishing), in ms. */
  roundMs: number;
}

export const ROUNDS_KEPT = 100;

/** Storage keys, in one place. */
export const keys = {
  applied: (delivery: string) => `applied:${delivery}`,
  /** One key per class: the replay buffer's reservoir of that class (ReplayBuffer.classBytes). */
  replay: (c: number) => `replay:${c}`,
  /** Holdout scores by model sha256, under the holdout's own hash (a new holdout invalidates them). */
  score: (holdout: string, sha256: string) => `score:${holdout}:${sha256}`,
  /** Rounds by a sortable time-and-sequence key. */
  round: (seq: number) => `round:${String(seq).padStart(12, '0')}`,
};

export type { HoldoutScore };

/**
 * A Map-backed TrainerStorage (for tests and scripts that run the trainer outside a Durable Object).
 *
 * @example
 * const trainer = new OnlineTrainer({ ..., storage: new MemoryStorage() });
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

  async delete(key: string): Promise<boolean> {
    return this.map.delete(key);
  }

  async list<T>(options: { prefix: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>> {
    let found = [...this.map.keys()].filter((k) => k.startsWith(options.prefix)).sort();
    if (options.reverse) found.reverse();
    if (options.limit !== undefined) found = found.slice(0, options.limit);
    return new Map(found.map((k) => [k, structuredClone(this.map.get(k)) as T]));
  }
}
