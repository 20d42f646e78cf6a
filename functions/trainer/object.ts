import { DurableObject } from 'cloudflare:workers';
import type { Admission } from '../context.ts';
import { DEFAULT_DELIVERY_RETENTION_DAYS, DEFAULT_VERSION_RETENTION_DAYS, RETENTION_EVERY_MS } from '../limits.ts';
import type { TrainingMessage } from '../queue/message.ts';
import { numberVar } from '../vars.ts';
import type { OnlineLearner, TrainerStatus, TrainReport } from './learner.ts';
import { retain, type RetentionReport } from './retention.ts';
import { keys } from './state.ts';

/** How long signed attempts are remembered: twice the Standard Webhooks tolerance of 5 minutes. */
const ATTEMPT_MEMORY_MS = 10 * 60 * 1000;
/**
 * An attempt still not queued after this long was abandoned (its isolate stopped between the
 * ledger and the queue): the same signed request is admitted again (applied once all the same, by id).
 */
const ATTEMPT_PENDING_MS = 30 * 1000;
/** How long the alarm waits before trying again after it failed outside any round. */
const ALARM_RETRY_MS = 10 * 1000;

/** One signed attempt in the ledger: when it was seen, the SHA-256 of its body, whether the queue took it. */
interface Attempt {
  at: number;
  digest: string;
  queued: boolean;
}

/**
 * The trainer of one model (its name is the object's name: `TRAINER.idFromName(model)`), a
 * SQLite-backed Durable Object: one instance in the world per model, so rounds are serial and its
 * storage (decided deliveries, the inbox, the replay buffer, the validation share, cached answers,
 * the round log) is the single truth. Models train in parallel, each in its own object. The round
 * itself is OnlineLearner's (learner.ts); this class wires the Worker's pieces into it and keeps
 * the alarm that works through the inbox (batched corrections, halves of rejected rounds) and runs
 * retention, one round per invocation.
 *
 * @example
 * const trainer = env.TRAINER.get(env.TRAINER.idFromName('digits'));
 * const report = await trainer.train(messages);
 */
export class ModelTrainer extends DurableObject<Env> {
  // The class keeps its deployed name (wrangler.toml's TRAINER binding and migration): renaming a
  // Durable Object class takes a `renamed_classes` migration.
  private learner: Promise<OnlineLearner> | null = null;

  /** Takes a batch of deliveries of one model: decides the webhook deliveries as one round, keeps the corrections for their batch. */
  async train(messages: TrainingMessage[]): Promise<TrainReport> {
    if (!messages.length) return { applied: [], duplicates: [], pending: [], round: null };
    const model = messages[0].model;
    if ((await this.ctx.storage.get<string>('model')) !== model) await this.ctx.storage.put('model', model);
    const learner = await this.learnerFor(model);
    try {
      return await learner.train(messages);
    } finally {
      await this.schedule(learner);
    }
  }

  /** The inbox's next round, or retention when it is due; then the next alarm. */
  override async alarm(): Promise<void> {
    const model = await this.ctx.storage.get<string>('model');
    if (!model) return;
    const learner = await this.learnerFor(model);
    let failed = false;
    try {
      const report = await learner.runInbox();
      if (!report && (await this.retentionDue())) await this.retainOrRetryLater();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // After a failure outside any round (the inbox unreadable), not at once: an alarm that
      // fails every time must not turn into a loop that takes the object's whole CPU.
      await this.schedule(learner, failed ? ALARM_RETRY_MS : 0);
    }
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

  /** The newest rounds, how many deliveries were decided, the inbox, the replay buffer's and validation share's class sizes. */
  async status(model: string, rounds = 20): Promise<TrainerStatus> {
    return (await this.learnerFor(model)).status(rounds);
  }

  /** One retention pass now (it also runs by itself at most daily, after rounds). */
  async retain(): Promise<RetentionReport> {
    const model = await this.ctx.storage.get<string>('model');
    if (!model) throw new Error('this trainer has not trained any model yet');
    return retain(await this.learnerFor(model), this.env.MODELS, this.ctx.storage, {
      now: new Date(),
      versionDays: numberVar(this.env.VERSION_RETENTION_DAYS, 'VERSION_RETENTION_DAYS', DEFAULT_VERSION_RETENTION_DAYS, { min: 0 }),
      deliveryDays: numberVar(this.env.DELIVERY_RETENTION_DAYS, 'DELIVERY_RETENTION_DAYS', DEFAULT_DELIVERY_RETENTION_DAYS, { min: 0 }),
    });
  }

  /** Sets the alarm for the inbox's next round, or for retention when it is due, or clears it. */
  private async schedule(learner: OnlineLearner, notBeforeMs = 0): Promise<void> {
    const wake = await learner.wake();
    const at = wake ?? ((await this.retentionDue()) ? Date.now() : null);
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Date.now() + notBeforeMs, at));
  }

  private async retentionDue(): Promise<boolean> {
    return Date.now() - ((await this.ctx.storage.get<number>(keys.retainedAt)) ?? 0) > RETENTION_EVERY_MS;
  }

  /** A retention pass; when it fails (R2 down), it is tried again in an hour rather than at once. */
  private async retainOrRetryLater(): Promise<void> {
    try {
      await this.retain();
    } catch (e) {
      console.error('retention failed; trying again in an hour', e);
      await this.ctx.storage.put(keys.retainedAt, Date.now() - RETENTION_EVERY_MS + 3600_000);
    }
  }

  private async forgetOldAttempts(): Promise<void> {
    const old = Date.now() - ATTEMPT_MEMORY_MS;
    const attempts = await this.ctx.storage.list<Attempt>({ prefix: 'attempt:' });
    const expired = [...attempts].filter(([, a]) => a.at < old).map(([k]) => k);
    for (let i = 0; i < expired.length; i += 128) await this.ctx.storage.delete(expired.slice(i, i + 128));
  }

  /**
   * The model's learner, made on the first call that needs it. Its module, with the training code
   * and the fixed sets, is imported then: an isolate that only predicts or admits webhook attempts
   * never evaluates it.
   */
  private learnerFor(model: string): Promise<OnlineLearner> {
    this.learner ??= import('./open-learner.ts')
      .then(({ openLearner }) => openLearner(model, this.env, this.ctx.storage))
      .catch((e: unknown) => {
        this.learner = null; // made again by the next call
        throw e;
      });
    return this.learner;
  }
}

const attemptKey = (id: string, timestamp: number) => `attempt:${id}:${timestamp}`;
