import type { Backend } from '../../src/nn/backend/backend.ts';
import type { Network } from '../../src/nn/network.ts';
import { Rng } from '../../src/nn/rng.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { importOnnx } from '../../src/onnx/import.ts';
import {
  answersOf, DEFAULT_GATE, fineTune, flopsWithin, GATE_TEST, holdOut, judge, PIXELS, RECORD_BYTES, ReplayBuffer, scoreOf, unpackExamples, ValidationShare,
  type Answers, type Comparison, type Example, type FineTuneResult, type GatePolicy, type GateVerdict, type Holdout,
} from '../../src/online/index.ts';
import { planFineTune, type FineTunePlan } from '../../src/online/plan.ts';
import { ModelRegistry, RegistryError, type GateDecision, type Manifest, type ModelVersion, type ObjectStore } from '../../src/registry/index.ts';
import { sha256Hex } from '../../src/util/sha256.ts';
import { HELD_OUT_SHARE, REPLAY_PER_CLASS, VALIDATION_PER_CLASS } from '../limits.ts';
import type { TrainingMessage } from '../queue/message.ts';
import { Inbox, type Batching, type Group } from './inbox.ts';
import { Ledger, type Decided } from './ledger.ts';
import { keys, ROUNDS_KEPT, type Round, type TrainerStorage } from './state.ts';

/** Times a round is redone on a new current version when a promote, rollback or publish raced it. */
const STALE_RETRIES = 3;

/** Failed rounds of an inbox group before its deliveries go to the dead letters (as the queue does: 1 + 3 retries). */
export const GROUP_ATTEMPTS = 4;

/** What the trainer needs; the Durable Object wires the real ones, tests may wire others. */
export interface LearnerDeps {
  model: string;
  /** The registry's bucket (R2). */
  store: ObjectStore;
  /** Durable memory: decided deliveries, the inbox, the replay buffer, the validation share, cached answers, the round log. */
  storage: TrainerStorage;
  /**
   * Publishes the model's first version when the registry holds none: the Worker's bundled model
   * (source offline, note "bundled"), or for a personal model a fork of its base's current version.
   */
  firstVersion: (registry: ModelRegistry) => Promise<void>;
  holdout: () => Promise<Holdout>;
  /** The replay buffer's first contents, when storage holds none yet. */
  replaySeed: () => Promise<Example[]>;
  /** A fresh core backend per round (the WASM kernels in a Worker): its memory goes with the round. */
  backend: () => Promise<Backend>;
  /** Proves a candidate loads where it will be served (src/models/check.ts checkModel over onnxruntime). */
  verify: (bytes: Uint8Array) => Promise<void>;
  /** TRAIN_CPU_BUDGET_MS, and the measured training rate that converts it to FLOPs. */
  budgetMs: number;
  flopsPerMs: number;
  /** When corrections make a round (FEEDBACK_BATCH_SIZE, FEEDBACK_BATCH_SECONDS). */
  batching: Batching;
  /** Keeps a delivery whose rounds failed GROUP_ATTEMPTS times (R2 dead letters in the Worker). */
  deadLetter: (message: TrainingMessage, error: string) => Promise<void>;
  gate?: GatePolicy;
  /** How a network fine-tunes (default: src/online planFineTune, by architecture). */
  plan?: (network: Network) => FineTunePlan;
  now?: () => Date;
}

/** A delivery's outcome in a report. */
export interface Decision {
  delivery: string;
  outcome: Decided['outcome'];
  version: string | null;
  reason: string;
}

/** What a call did with the deliveries handed to it (or, for the alarm, with the inbox's next group). */
export interface TrainReport {
  /** Deliveries decided in this call. */
  applied: Decision[];
  /** Deliveries recognised as decided before (a retry, a redelivery, a replay): not trained on again. */
  duplicates: string[];
  /** Deliveries waiting in the inbox: corrections for their batch, halves of a rejected round for their own rounds. */
  pending: string[];
  round: Round | null;
}

/** The version a round trains from, in the core. */
interface Parent {
  version: ModelVersion;
  network: Network;
  answers: Answers;
}

/** A round's examples, split per delivery into what trains and what is held out for the validation share. */
interface Batch {
  ids: string[];
  messages: TrainingMessage[];
  train: Example[];
  held: Example[];
  droppedHoldout: number;
  seed: number;
}

/** A trainer's state for the admin: its newest rounds, deliveries decided, the inbox, the replay buffer's and validation share's sizes per digit. */
export interface TrainerStatus {
  rounds: Round[];
  applied: number;
  inbox: { groups: number; deliveries: number };
  replay: number[];
  validation: number[];
}

/**
 * The online learner of one model (the ModelTrainer Durable Object holds one per model name), one
 * round at a time:
 * 1. `train` takes deliveries from the queue: those decided before are dropped (by storage AND by
 *    the manifest, so a crash between publishing and recording cannot decide one twice);
 *    corrections wait in the inbox for their batch; webhook deliveries make a round now;
 * 2. a round fine-tunes the version being served (publishing its first version when the registry
 *    is empty) on the new examples mixed with the replay buffer, within the CPU budget, holding a
 *    share of each delivery out for the validation share;
 * 3. the statistical gate judges the candidate against its parent and the offline ancestor on the
 *    anchor holdout, against its parent on the validation share, and, for the half of a rejected
 *    round, against the version that round started from;
 * 4. accepted: a new version (verified in onnxruntime, published only if the parent is still
 *    current), its examples join the replay buffer and the held-out ones the validation share;
 *    rejected with several deliveries: they are split in halves that wait in the inbox for rounds
 *    of their own (bisection), until each delivery is accepted or rejected on its own;
 * 5. `runInbox` (the object's alarm) decides the inbox's next group the same way.
 * Rounds never overlap: R2 and storage I/O let other calls interleave, so calls queue on a lock.
 *
 * @example
 * const learner = new OnlineLearner({ model: 'digits', store: env.MODELS, storage: ctx.storage, ... });
 * const report = await learner.train(messages);
 */
export class OnlineLearner {
  private queue: Promise<unknown> = Promise.resolve();
  private holdoutId: Promise<string> | null = null;
  private holdoutImages: Promise<Set<string>> | null = null;
  private readonly now: () => Date;
  private readonly ledger: Ledger;
  readonly inbox: Inbox;

  constructor(private readonly deps: LearnerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.ledger = new Ledger(deps.storage, this.now);
    this.inbox = new Inbox(deps.storage);
  }

  /** Decides the webhook deliveries not decided before as one round; corrections join the inbox. Waits for any round in progress first. */
  train(messages: readonly TrainingMessage[]): Promise<TrainReport> {
    return this.locked(async () => {
      const ours = messages.filter((m) => m.model === this.deps.model);
      const { manifest } = await this.registry().read();
      const sorted = await this.ledger.sort(ours, manifest, await this.inbox.ids());
      const report: TrainReport = { applied: [], duplicates: sorted.duplicates, pending: sorted.pending, round: null };
      const corrections = sorted.fresh.filter((m) => m.source === 'feedback');
      await this.inbox.hold(corrections, this.now().getTime());
      report.pending.push(...corrections.map((m) => m.delivery));
      const deliveries = sorted.fresh.filter((m) => m.source !== 'feedback');
      if (deliveries.length) await this.decide(deliveries, null, report);
      return report;
    });
  }

  /**
   * Decides the inbox's next due group (a half of a rejected round, or a batch of corrections), if
   * any. A round that fails is tried again after a backoff; after GROUP_ATTEMPTS failures its
   * deliveries go to the dead letters.
   */
  runInbox(): Promise<TrainReport | null> {
    return this.locked(async () => {
      const next = await this.inbox.next(this.now().getTime(), this.deps.batching);
      if (!next) return null;
      const report: TrainReport = { applied: [], duplicates: [], pending: [], round: null };
      try {
        // Reading the manifest may fail too (R2 down, a manifest that does not parse): the group
        // then waits out its backoff like a failed round, rather than being retried at once.
        const { manifest } = await this.registry().read();
        const sorted = await this.ledger.sort(next.messages, manifest, new Set());
        report.duplicates = sorted.duplicates;
        if (sorted.fresh.length) await this.decide(sorted.fresh, next.group, report);
        await this.inbox.finish(next.group);
      } catch (e) {
        await this.groupFailed(next.group, next.messages, e);
      }
      return report;
    });
  }

  /** When the inbox next needs a round (ms since the epoch), or null. */
  wake(): Promise<number | null> {
    return this.inbox.wake(this.deps.batching);
  }

  /** The newest rounds first, how many deliveries were decided, the inbox, the replay buffer and validation share sizes. */
  async status(limit = 20): Promise<TrainerStatus> {
    const rounds = [...(await this.deps.storage.list<Round>({ prefix: 'round:', reverse: true, limit })).values()];
    return {
      rounds, applied: await this.ledger.count(), inbox: await this.inbox.counts(),
      replay: (await this.replay()).classSizes(), validation: (await this.share()).classSizes(),
    };
  }

  /** Runs `work` after any round in progress, never two at once. */
  locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  registry(): ModelRegistry {
    return new ModelRegistry(this.deps.store, this.deps.model, { verify: this.deps.verify, now: this.now });
  }

  /** One round on `messages` (all fresh), redone on the new current version if another writer raced it. */
  private async decide(messages: TrainingMessage[], group: Group | null, report: TrainReport): Promise<void> {
    const started = Date.now();
    const registry = this.registry();
    const batch = await this.batchOf(messages);
    for (let attempt = 0; ; attempt++) {
      const parent = await this.loadParent(registry);
      const { manifest } = await registry.read();
      const before = await this.shareAnswers(parent.network);
      const { plan, budgetFlops, trained } = await this.fineTuneParent(parent, batch);
      const round: RoundState = { registry, manifest, parent, batch, group, report, started, plan: plan.layers, budgetFlops, trained, judged: null! };
      round.judged = await this.judgeCandidate(round, before);
      try {
        if (round.judged.verdict.accepted) return await this.accept(round);
      } catch (e) {
        // Promoted, rolled back or published meanwhile: train again on what is current now.
        if (e instanceof RegistryError && e.code === 'stale' && attempt < STALE_RETRIES) continue;
        throw e;
      }
      // Bisection, when the gate refused a group; without any training step there is nothing to bisect.
      if (batch.ids.length > 1 && trained?.steps) return this.split(round);
      return this.reject(round);
    }
  }

  /**
   * Fine-tunes the parent's network in place into the candidate: the batch's training examples
   * mixed with the replay buffer, by the plan for its architecture, within the CPU budget (no
   * training when every example was a holdout copy).
   */
  private async fineTuneParent(parent: Parent, batch: Batch): Promise<{ plan: FineTunePlan; budgetFlops: number; trained: FineTuneResult | null }> {
    const plan = (this.deps.plan ?? planFineTune)(parent.network);
    const budgetFlops = flopsWithin(this.deps.budgetMs, this.deps.flopsPerMs);
    const trained = batch.train.length
      ? await fineTune(parent.network, batch.train, await this.replay(), { ...plan, maxFlops: budgetFlops, seed: batch.seed })
      : null;
    return { plan, budgetFlops, trained };
  }

  /** The examples of a round: unpacked, holdout images dropped, each delivery's share held out (the same every retry). */
  private async batchOf(messages: TrainingMessage[]): Promise<Batch> {
    const holdoutImages = await this.holdoutSet();
    const batch: Batch = { ids: messages.map((m) => m.delivery), messages, train: [], held: [], droppedHoldout: 0, seed: seedOf(messages.map((m) => m.delivery)) };
    for (const m of messages) {
      const all = unpackExamples(m.records);
      const kept = all.filter((e) => !holdoutImages.has(imageKey(e.pixels)));
      batch.droppedHoldout += all.length - kept.length;
      const { train, held } = holdOut(kept, HELD_OUT_SHARE, seedOf([m.delivery]));
      batch.train.push(...train);
      batch.held.push(...held);
    }
    // A round of a single example (a correction) may have held it out: then nothing is held out.
    if (!batch.train.length) batch.train = batch.held.splice(0);
    return batch;
  }

  /** The version being served (its first published if the registry is empty), imported into the core, with its holdout answers. */
  private async loadParent(registry: ModelRegistry): Promise<Parent> {
    let served = await registry.serving();
    if (!served) {
      await this.deps.firstVersion(registry);
      served = await registry.serving();
      if (!served) throw new Error(`model '${registry.name}' has no intact version to train`);
    }
    const { network } = await importOnnx(served.bytes, { backend: await this.deps.backend() });
    return { version: served.version, network, answers: await this.answers(served.version.sha256, () => Promise.resolve(network)) };
  }

  /**
   * Runs the gate: the anchor holdout against the parent, the offline ancestor and a split round's
   * origin; the validation share (`before`: the parent's answers on it) against the parent.
   */
  private async judgeCandidate(r: RoundState, before: Answers | null): Promise<RoundState['judged']> {
    const { parent } = r;
    if (!r.trained?.steps) {
      const reason = r.batch.train.length ? `the CPU budget (${this.deps.budgetMs} ms) allows no training step` : 'no example to train on: each is a copy of a holdout image';
      return { verdict: { accepted: false, reason, checks: [] }, candidate: parent.answers };
    }
    const holdout = await this.deps.holdout();
    const candidate = await answersOf(parent.network, holdout.x, holdout.labels);
    const cmp = (against: Comparison['against'], version: string, reference: Answers, to = candidate, set: Comparison['set'] = 'anchor'): Comparison =>
      ({ set, against, version, labels: reference.labels, reference: reference.predicted, candidate: to.predicted });
    const comparisons = [cmp('parent', parent.version.version, parent.answers)];
    for (const ref of await this.references(r)) comparisons.push(cmp(ref.against, ref.version, ref.answers));
    if (before) {
      const share = (await this.share()).asSet();
      comparisons.push(cmp('parent', parent.version.version, before, await answersOf(parent.network, share.x, share.labels), 'validation'));
    }
    return { verdict: judge(comparisons, this.deps.gate ?? DEFAULT_GATE), candidate };
  }

  /** The other references on the anchor holdout: the nearest offline ancestor (the drift guard) and a split round's origin. */
  private async references({ registry, manifest, parent, group }: RoundState) {
    const out: Array<{ against: Comparison['against']; version: string; answers: Answers }> = [];
    const wanted: Array<[Comparison['against'], string | null | undefined]> = [['offline', parent.version.anchor ?? null], ['origin', group?.origin]];
    for (const [against, name] of wanted) {
      if (!name || name === parent.version.version || out.some((x) => x.version === name)) continue;
      const v = await registry.find(manifest, name);
      if (!v) continue;
      try {
        out.push({ against, version: name, answers: await this.answers(v.sha256, async () => (await importOnnx(await registry.load(v), { backend: await this.deps.backend() })).network) });
      } catch (e) {
        console.error(`trainer ${this.deps.model}: ${against} version ${name} cannot be scored; not compared against it`, e);
      }
    }
    return out;
  }

  /** Publishes the candidate (only if its parent is still current) and records its deliveries as accepted. */
  private async accept(r: RoundState): Promise<void> {
    const { parent, batch } = r;
    const decision = this.decisionOf(r);
    const bytes = await exportOnnx(parent.network, { metadata: { 'nutshell.parent': parent.version.version, 'nutshell.source': 'online' } });
    const published = await r.registry.publish(bytes, {
      source: 'online', parent: parent.version.version, expectCurrent: r.manifest.current, deliveries: batch.ids, decision,
      metrics: {
        holdoutAccuracy: decision.holdoutAccuracy, parentHoldoutAccuracy: decision.parentHoldoutAccuracy, examples: batch.train.length + batch.held.length,
        examplePasses: r.trained!.examplePasses, trainLoss: r.trained!.trainLoss,
      },
    });
    const extra: Record<string, unknown> = { [keys.answers(await this.holdoutHash(), published.sha256)]: r.judged.candidate.predicted };
    // The replay buffer and the validation share learn only what the gate accepted.
    const rng = new Rng(batch.seed ^ 0x5eed);
    const replay = await this.replay();
    const share = await this.share();
    for (const e of [...batch.train, ...share.add(batch.held)]) replay.add(e, rng);
    for (let c = 0; c < 10; c++) {
      extra[keys.replay(c)] = replay.classBytes(c);
      extra[keys.share(c)] = share.classBytes(c);
    }
    await this.finishRound(r, 'accepted', published.version, extra);
  }

  /** Records a single delivery's final rejection (or a whole round's, when it could not train at all). */
  private async reject(r: RoundState): Promise<void> {
    await r.registry.recordDecision({ ...this.decisionOf(r), candidate: null });
    await this.finishRound(r, 'rejected', r.parent.version.version, {});
  }

  /** A rejected round of several deliveries: recorded, and its halves left in the inbox for rounds of their own. */
  private async split(r: RoundState): Promise<void> {
    const { batch, group } = r;
    await r.registry.recordDecision({ ...this.decisionOf(r), candidate: null, split: true });
    const half = Math.ceil(batch.messages.length / 2);
    const origin = group?.origin ?? r.parent.version.version;
    await this.inbox.split([{ messages: batch.messages.slice(0, half), origin }, { messages: batch.messages.slice(half), origin }], group, this.now().getTime());
    r.report.pending.push(...batch.ids);
    r.report.round = await this.logRound(r, 'split', null);
  }

  /** The decision as the manifest records it. */
  private decisionOf({ parent, batch, judged }: RoundState): Omit<GateDecision, 'candidate'> {
    return {
      at: this.now().toISOString(), parent: parent.version.version, accepted: judged.verdict.accepted, reason: judged.verdict.reason,
      holdoutAccuracy: scoreOf(judged.candidate).accuracy, parentHoldoutAccuracy: scoreOf(parent.answers).accuracy,
      test: GATE_TEST, alpha: (this.deps.gate ?? DEFAULT_GATE).alpha, checks: judged.verdict.checks,
      examples: batch.train.length + batch.held.length, heldOut: batch.held.length, deliveries: batch.ids,
    };
  }

  /** Records each delivery's decision, the round, and `extra` state in one atomic put. */
  private async finishRound(r: RoundState, outcome: Decided['outcome'], version: string, extra: Record<string, unknown>): Promise<void> {
    const reason = r.judged.verdict.reason;
    const decided = r.batch.messages.map((m) => ({ delivery: m.delivery, outcome, version, reason, examples: unpackedCount(m) }));
    const round = await this.logRound(r, outcome, outcome === 'accepted' ? version : null, extra);
    await this.ledger.record(decided, extra);
    r.report.applied.push(...decided.map(({ delivery, version: v }) => ({ delivery, outcome, version: outcome === 'accepted' ? v : null, reason })));
    r.report.round = round;
  }

  /** Adds the round to the log (kept to ROUNDS_KEPT), into `extra` when given (written by the caller), else at once. */
  private async logRound(r: RoundState, outcome: Round['outcome'], version: string | null, extra?: Record<string, unknown>): Promise<Round> {
    const { batch, judged, trained, parent } = r;
    const round: Round = {
      at: this.now().toISOString(), deliveries: batch.ids, examples: batch.train.length + batch.held.length, heldOut: batch.held.length,
      droppedHoldout: batch.droppedHoldout, outcome, parent: parent.version.version, version, reason: judged.verdict.reason,
      holdoutAccuracy: scoreOf(judged.candidate).accuracy, parentHoldoutAccuracy: scoreOf(parent.answers).accuracy, plan: r.plan,
      examplePasses: trained?.examplePasses ?? 0, budgetFlops: r.budgetFlops, flops: trained?.flops ?? 0,
      truncated: trained?.truncated ?? false, roundMs: Date.now() - r.started,
    };
    const seq = ((await this.deps.storage.get<number>(keys.rounds)) ?? 0) + 1;
    const entries = { [keys.rounds]: seq, [keys.round(seq)]: round };
    if (extra) Object.assign(extra, entries);
    else await this.deps.storage.put(entries);
    if (seq > ROUNDS_KEPT) await this.deps.storage.delete(keys.round(seq - ROUNDS_KEPT));
    console.log(
      `trainer ${this.deps.model}: ${batch.ids.length} deliveries (${round.examples} examples, ${round.heldOut} held out) ${outcome}${version ? ` as ${version}` : ''} ` +
        `against ${parent.version.version}: ${judged.verdict.reason}; ${round.examplePasses} example passes (${r.plan}); ${round.roundMs} ms`,
    );
    return round;
  }

  /** A failed round of an inbox group: tried again later, or after GROUP_ATTEMPTS its deliveries are dead letters. */
  private async groupFailed(group: Group, messages: TrainingMessage[], e: unknown): Promise<void> {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const attempts = await this.inbox.failed(group, error, this.now().getTime());
    console.error(`trainer ${this.deps.model}: a round of ${group.deliveries.length} waiting deliveries failed (attempt ${attempts} of ${GROUP_ATTEMPTS})`, e);
    if (attempts < GROUP_ATTEMPTS) return;
    for (const m of messages) await this.deps.deadLetter(m, error);
    await this.inbox.finish(group);
  }

  /** The parent's answers on the validation share, before it trains (null while the share is empty). */
  private async shareAnswers(network: Network): Promise<Answers | null> {
    const share = (await this.share()).asSet();
    return share.labels.length ? answersOf(network, share.x, share.labels) : null;
  }

  /** A version's answers on the holdout, cached by its sha256 (computed with `network` on a miss). */
  private async answers(sha256: string, network: () => Promise<Network>): Promise<Answers> {
    const holdout = await this.deps.holdout();
    const key = keys.answers(await this.holdoutHash(), sha256);
    const cached = await this.deps.storage.get<Uint8Array>(key);
    if (cached && cached.length === holdout.n) return { labels: holdout.labels, predicted: cached };
    const answers = await answersOf(await network(), holdout.x, holdout.labels);
    await this.deps.storage.put({ [key]: answers.predicted });
    return answers;
  }

  private async replay(): Promise<ReplayBuffer> {
    const stored = await this.deps.storage.get<Uint8Array>(Array.from({ length: 10 }, (_, c) => keys.replay(c)));
    if (stored.size) return ReplayBuffer.fromClassBytes(REPLAY_PER_CLASS, Array.from({ length: 10 }, (_, c) => stored.get(keys.replay(c))));
    const seeded = ReplayBuffer.seed(await this.deps.replaySeed(), REPLAY_PER_CLASS);
    await this.deps.storage.put(Object.fromEntries(Array.from({ length: 10 }, (_, c) => [keys.replay(c), seeded.classBytes(c)])));
    return seeded;
  }

  private async share(): Promise<ValidationShare> {
    const stored = await this.deps.storage.get<Uint8Array>(Array.from({ length: 10 }, (_, c) => keys.share(c)));
    return ValidationShare.fromClassBytes(VALIDATION_PER_CLASS, Array.from({ length: 10 }, (_, c) => stored.get(keys.share(c))));
  }

  holdoutHash(): Promise<string> {
    this.holdoutId ??= this.deps.holdout().then(async (h) => (await sha256Hex([new Uint8Array(h.x.buffer, h.x.byteOffset, h.x.byteLength), h.labels])).slice(0, 16));
    return this.holdoutId;
  }

  /** The holdout's images as keys: an example identical to one of them is never trained on. */
  private holdoutSet(): Promise<Set<string>> {
    this.holdoutImages ??= this.deps.holdout().then((h) => {
      const set = new Set<string>();
      const bytes = new Uint8Array(PIXELS);
      for (let i = 0; i < h.n; i++) {
        for (let j = 0; j < PIXELS; j++) bytes[j] = Math.round(h.x[i * PIXELS + j] * 255);
        set.add(imageKey(bytes));
      }
      return set;
    });
    return this.holdoutImages;
  }
}

/** One round in progress: what it trains from and on, what training did and what the gate said. */
interface RoundState {
  registry: ModelRegistry;
  /** The manifest as the round began (its current version is what publishing expects to still be current). */
  manifest: Manifest;
  parent: Parent;
  batch: Batch;
  /** The inbox group being decided (null for deliveries straight from the queue). */
  group: Group | null;
  report: TrainReport;
  started: number;
  /** The fine-tuning plan, in words. */
  plan: string;
  budgetFlops: number;
  trained: FineTuneResult | null;
  judged: { verdict: GateVerdict; candidate: Answers };
}

function unpackedCount(m: TrainingMessage): number {
  return m.records.length / RECORD_BYTES;
}

/** A reproducible seed from delivery ids (FNV-1a). */
export function seedOf(ids: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const ch of ids.join('\n')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

function imageKey(pixels: Uint8Array): string {
  let s = '';
  for (let i = 0; i < pixels.length; i += 1024) s += String.fromCharCode(...pixels.subarray(i, i + 1024));
  return s;
}
