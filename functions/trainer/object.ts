import { DurableObject } from 'cloudflare:workers';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import digitsOnnx from '../../models/digits.onnx';
import holdoutImages from '../../models/holdout-images.idx.gz';
import holdoutLabels from '../../models/holdout-labels.idx.gz';
import replayImages from '../../models/replay-images.idx.gz';
import replayLabels from '../../models/replay-labels.idx.gz';
import type { Holdout } from '../../src/online/gate.ts';
import type { Example } from '../../src/online/example.ts';
import { coreBackend } from '../inference/kernels.ts';
import { useCompiledOrtWasm } from '../inference/ort-runtime.ts';
import { DEFAULT_MODEL, DEFAULT_TRAIN_CPU_BUDGET_MS, TRAIN_FLOPS_PER_CPU_MS } from '../limits.ts';
import type { Admission } from '../context.ts';
import { checkModel } from '../models/verify.ts';
import type { TrainingMessage } from '../training/message.ts';
import { readExamples, readHoldout } from './sets.ts';
import type { Round } from './state.ts';
import { OnlineTrainer, type TrainReport } from './trainer.ts';

/** How long signed attempts are remembered: twice the Standard Webhooks tolerance of 5 minutes. */
const ATTEMPT_MEMORY_MS = 10 * 60 * 1000;
/**
 * An attempt still not queued after this long was abandoned (its isolate stopped between the
 * ledger and the queue): the same signed request is admitted again (applied once all the same, by id).
 */
const ATTEMPT_PENDING_MS = 30 * 1000;

/** One signed attempt in the ledger: when it was seen, the SHA-256 of its body, whether the queue took it. */
interface Attempt {
  at: number;
  digest: string;
  queued: boolean;
}

/** The models the trainer can start from when the registry holds none: the Worker's bundled ones. */
const BUNDLED: Record<string, ArrayBuffer> = { [DEFAULT_MODEL]: digitsOnnx };

// Per isolate: the fixed sets are unpacked once.
let holdout: Promise<Holdout> | null = null;
let replaySeed: Promise<Example[]> | null = null;

/**
 * The trainer of one model (its name is the object's name: `TRAINER.idFromName(model)`), a
 * SQLite-backed Durable Object: one instance in the world per model, so rounds are serial and its
 * storage (applied deliveries, replay buffer, holdout scores, round log) is the single truth. The
 * round itself is OnlineTrainer's (trainer.ts); this class wires the Worker's pieces into it.
 *
 * @example
 * const trainer = env.TRAINER.get(env.TRAINER.idFromName('digits'));
 * const report = await trainer.train(messages);
 */
export class ModelTrainer extends DurableObject<Env> {
  private trainer: OnlineTrainer | null = null;

  /** Applies a batch of deliveries of one model as one round (see OnlineTrainer). */
  async train(messages: TrainingMessage[]): Promise<TrainReport> {
    if (!messages.length) return { applied: [], duplicates: [], round: null };
    return this.trainerFor(messages[0].model).train(messages);
  }

  /**
   * Records one signed attempt of a webhook delivery, by (id, timestamp), the pair its signature
   * covers: `new` the first time; `duplicate` when the very same signed request comes again after
   * it was queued (a sender's retry after a lost answer: answered as accepted, nothing queued);
   * `pending` while the first is still being queued; `conflict` for another body under the same
   * pair (only a second secret could sign it). A redelivery signs anew, with a new timestamp, and is
   * `new`: its examples are applied once, by id, when trained. Attempts are kept for twice the
   * signature's 5-minute window, after which the timestamp check refuses them anyway.
   */
  async admitAttempt(id: string, timestamp: number, digest: string): Promise<Admission> {
    const key = attemptKey(id, timestamp);
    const attempt = await this.ctx.storage.get<Attempt>(key);
    const now = Date.now();
    if (attempt !== undefined) {
      if (attempt.digest !== digest) return 'conflict';
      if (attempt.queued) return 'duplicate';
      if (now - attempt.at < ATTEMPT_PENDING_MS) return 'pending';
    }
    await this.ctx.storage.put(key, { at: now, digest, queued: false } satisfies Attempt);
    if (Math.random() < 0.05) await this.forgetOldAttempts();
    return 'new';
  }

  /** Marks an admitted attempt as taken by the queue: from now on the same request is a duplicate. */
  async attemptQueued(id: string, timestamp: number): Promise<void> {
    const key = attemptKey(id, timestamp);
    const attempt = await this.ctx.storage.get<Attempt>(key);
    if (attempt) await this.ctx.storage.put(key, { ...attempt, queued: true } satisfies Attempt);
  }

  /** Undoes `admitAttempt` when the delivery could not be queued, so the sender may resend it. */
  async forgetAttempt(id: string, timestamp: number): Promise<void> {
    await this.ctx.storage.delete(attemptKey(id, timestamp));
  }

  private async forgetOldAttempts(): Promise<void> {
    const old = Date.now() - ATTEMPT_MEMORY_MS;
    const attempts = await this.ctx.storage.list<Attempt>({ prefix: 'attempt:' });
    const expired = [...attempts].filter(([, a]) => a.at < old).map(([k]) => k);
    for (let i = 0; i < expired.length; i += 128) await this.ctx.storage.delete(expired.slice(i, i + 128));
  }

  /** The newest rounds, how many deliveries were applied, the replay buffer's class sizes. */
  async status(model: string, rounds = 20): Promise<{ rounds: Round[]; applied: number; replay: number[] }> {
    return this.trainerFor(model).status(rounds);
  }

  private trainerFor(model: string): OnlineTrainer {
    if (this.trainer) return this.trainer;
    const bundled = BUNDLED[model];
    if (!bundled) throw new Error(`no bundled model named '${model}' to train`);
    const ort = useCompiledOrtWasm(ortWasm);
    this.trainer = new OnlineTrainer({
      model,
      store: this.env.MODELS,
      storage: this.ctx.storage,
      bundled: new Uint8Array(bundled),
      holdout: () => (holdout ??= readHoldout({ images: holdoutImages, labels: holdoutLabels })),
      replaySeed: () => (replaySeed ??= readExamples({ images: replayImages, labels: replayLabels })),
      backend: coreBackend,
      verify: (bytes) => checkModel(ort, bytes),
      budgetMs: cpuBudgetMs(this.env.TRAIN_CPU_BUDGET_MS),
      flopsPerMs: TRAIN_FLOPS_PER_CPU_MS,
    });
    return this.trainer;
  }
}

const attemptKey = (id: string, timestamp: number) => `attempt:${id}:${timestamp}`;

/** TRAIN_CPU_BUDGET_MS as a number; a value that is not one is logged and the default used. */
export function cpuBudgetMs(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_TRAIN_CPU_BUDGET_MS;
  const ms = Number(value);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  console.error(`TRAIN_CPU_BUDGET_MS is '${value}', not a number of milliseconds; using ${DEFAULT_TRAIN_CPU_BUDGET_MS}`);
  return DEFAULT_TRAIN_CPU_BUDGET_MS;
}
