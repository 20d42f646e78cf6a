import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web/wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOnnxRuntime } from '../../../functions/inference/local-onnxruntime.ts';
import { checkModel } from '../../../src/models/check.ts';
import type { TrainingMessage } from '../../../functions/queue/message.ts';
import { readExamples, readHoldout } from '../../../functions/trainer/sets.ts';
import { MemoryStorage, type Applied } from '../../../functions/trainer/state.ts';
import { GROUP_ATTEMPTS, OnlineLearner, type LearnerDeps, type TrainReport } from '../../../functions/trainer/learner.ts';
import { firstVersion } from '../../../functions/models/fork.ts';
import { TRAIN_FLOPS_PER_CPU_MS } from '../../../functions/limits.ts';
import { packExamples, toBytes, type Example } from '../../../src/online/index.ts';
import { ModelList, ModelRegistry, type ObjectStore } from '../../../src/registry/index.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';
import { localR2 } from '../registry/local-r2.ts';

// The online learner's round outside workerd: the same code the Durable Object runs, over a real
// local R2 (Miniflare), the WASM kernels, onnxruntime-web as the verifier and real MNIST digits.
// test/worker/online.test.ts runs it inside workerd through the webhook, the queue and the object.

const { train } = loadMnist();
const bundled = new Uint8Array(readFileSync('models/digits.onnx'));
const read = (f: string) => new Uint8Array(readFileSync(`models/${f}`));
const holdout = readHoldout({ images: read('holdout-images.idx.gz'), labels: read('holdout-labels.idx.gz') });
const replaySeed = readExamples({ images: read('replay-images.idx.gz'), labels: read('replay-labels.idx.gz') });

const example = (i: number, label = train.labels[i]): Example => ({ pixels: toBytes(train.pixels.subarray(i * 784, (i + 1) * 784)), label });
const message = (delivery: string, examples: Example[], model = 'digits', source: TrainingMessage['source'] = 'webhook'): TrainingMessage => ({
  delivery, model, source, receivedAt: new Date().toISOString(), records: packExamples(examples),
});
/** Training digits of one class (from index `from` on), optionally labelled as another. */
function ofClass(digit: number, n: number, from: number, label = digit): Example[] {
  const out: Example[] = [];
  for (let i = from; out.length < n; i++) if (train.labels[i] === digit) out.push(example(i, label));
  return out;
}

let store: ObjectStore;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await localR2());
  ortWeb.env.wasm.numThreads = 1;
});
afterAll(() => dispose());

/** Dead letters the learner handed over, by model. */
const deadLetters: Array<{ delivery: string; error: string }> = [];

function learner(model: string, storage = new MemoryStorage(), extra: Partial<LearnerDeps> = {}) {
  return new OnlineLearner({
    model, store, storage,
    // The Worker's own first-version step: the bundled model under this name (or a fork, for a listed personal model).
    firstVersion: (registry) => firstVersion(store, registry.name, { digits: bundled, [model]: bundled }),
    holdout: () => holdout, replaySeed: () => replaySeed, backend: () => nodeWasmBackend({ variant: 'simd' }),
    verify: (bytes) => checkModel(new LocalOnnxRuntime(() => ortWeb), bytes), budgetMs: 20_000, flopsPerMs: TRAIN_FLOPS_PER_CPU_MS,
    batching: { size: 3, seconds: 60, max: 100 },
    deadLetter: async (m, error) => void deadLetters.push({ delivery: m.delivery, error }),
    ...extra,
  });
}

/** Runs the inbox (what the object's alarm does) until nothing is due; the reports of each round. */
async function drain(t: OnlineLearner): Promise<TrainReport[]> {
  const reports: TrainReport[] = [];
  for (let report = await t.runInbox(); report; report = await t.runInbox()) reports.push(report);
  return reports;
}

describe('the online learner (one round per call)', () => {
  it('publishes the bundled model as v1, then correct examples as v2 (gate passed), each delivery once', async () => {
    const storage = new MemoryStorage();
    const t = learner('digits', storage);
    const fresh = Array.from({ length: 100 }, (_, i) => example(30_000 + i));
    const report = await t.train([message('d1', fresh.slice(0, 60)), message('d2', fresh.slice(60)), message('d1', fresh.slice(0, 60))]);
    expect(report.round?.outcome, report.round?.reason).toBe('accepted');
    expect(report.applied.map((a) => [a.delivery, a.outcome, a.version])).toEqual([['d1', 'accepted', 'v2'], ['d2', 'accepted', 'v2']]);

    const registry = new ModelRegistry(store, 'digits');
    const { manifest } = await registry.read();
    expect(manifest.current).toBe('v2');
    expect(manifest.versions.map((v) => [v.version, v.source, v.parent, v.note ?? null])).toEqual([['v1', 'offline', null, 'bundled'], ['v2', 'online', 'v1', null]]);
    expect(manifest.versions[1].deliveries).toEqual(['d1', 'd2']);
    expect(manifest.decisions).toHaveLength(1);
    expect(manifest.decisions[0]).toMatchObject({ accepted: true, candidate: 'v2', parent: 'v1', examples: 100 });
    // The stored bytes are what the learner scored: they import and score the same.
    expect(manifest.versions[1].metrics.holdoutAccuracy).toBe(report.round!.holdoutAccuracy);

    // A retry, a redelivery and a replay of the same ids: recognised, not trained on.
    const again = await t.train([message('d2', fresh.slice(60)), message('d1', fresh.slice(0, 60))]);
    expect(again.duplicates.sort()).toEqual(['d1', 'd2']);
    expect(again.round).toBeNull();
    expect((await registry.read()).manifest.versions).toHaveLength(2);
    expect((await storage.get<Applied>('applied:d1'))?.version).toBe('v2');
    expect((await t.status()).applied).toBe(2);
    // The accepted examples joined the replay buffer (each class at most 100).
    expect((await t.status()).replay.every((n) => n === 100)).toBe(true);
  });

  it('a crash after publishing but before recording cannot apply a delivery twice (the manifest names it)', async () => {
    const t = learner('digits-crash');
    await t.train([message('c1', Array.from({ length: 40 }, (_, i) => example(31_000 + i)), 'digits-crash')]);
    // A new object with empty storage (its records lost), over the same registry.
    const fresh = learner('digits-crash');
    const report = await fresh.train([message('c1', Array.from({ length: 40 }, (_, i) => example(31_000 + i)), 'digits-crash')]);
    expect(report.duplicates).toEqual(['c1']);
    expect((await fresh.status()).applied).toBe(1); // recorded from the manifest
    expect((await new ModelRegistry(store, 'digits-crash').read()).manifest.versions).toHaveLength(2);
  });

  it('deliberately wrong labels (ones labelled 7) make a candidate the gate rejects; the served version is unchanged', async () => {
    const storage = new MemoryStorage();
    const t = learner('digits-poison', storage);
    const report = await t.train([message('p1', ofClass(1, 100, 40_000, 7), 'digits-poison')]);
    expect(report.round?.outcome).toBe('rejected');
    expect(report.round?.reason).toMatch(/significantly worse than v1 on the .*(digit 1|anchor holdout)/);
    const { manifest } = await new ModelRegistry(store, 'digits-poison').read();
    expect(manifest.current).toBe('v1');
    expect(manifest.versions).toHaveLength(1);
    expect(manifest.decisions.at(-1)).toMatchObject({ accepted: false, candidate: null, parent: 'v1', deliveries: ['p1'] });
    expect(manifest.decisions.at(-1)!.holdoutAccuracy).toBeLessThan(manifest.decisions.at(-1)!.parentHoldoutAccuracy);
    // Rejected examples never reach the replay buffer.
    expect((await t.status()).replay).toEqual(new Array(10).fill(100));
  });

  it('examples identical to holdout images are dropped before training', async () => {
    const h = await holdout;
    const copies = Array.from({ length: 5 }, (_, i) => ({ label: h.labels[i], pixels: toBytes(h.x.subarray(i * 784, (i + 1) * 784)) }));
    const report = await learner('digits-holdout').train([message('h1', [...copies, example(32_000)], 'digits-holdout')]);
    expect(report.round).toMatchObject({ droppedHoldout: 5, examples: 1 });
  });

  it('a budget of 0 ms trains nothing and publishes nothing', async () => {
    const report = await learner('digits-budget', new MemoryStorage(), { budgetMs: 0 }).train([message('b1', [example(33_000)], 'digits-budget')]);
    expect(report.round).toMatchObject({ outcome: 'rejected', examplePasses: 0, budgetFlops: 0 });
    expect(report.round?.reason).toMatch(/CPU budget/);
  });
});

describe('the online learner against concurrent writers', () => {
  it('a version published while a round trains is never overridden: the round is redone on it', async () => {
    const name = 'digits-race';
    let checks = 0;
    const t = learner(name, new MemoryStorage(), {
      verify: async (bytes) => {
        // The 2nd check is the candidate's, just before its manifest update: an admin publishes first.
        if (++checks === 1) await new ModelRegistry(store, name).publish(bundled, { source: 'offline', note: 'raced' });
        await checkModel(new LocalOnnxRuntime(() => ortWeb), bytes);
      },
    });
    const report = await t.train([message('r1', Array.from({ length: 30 }, (_, i) => example(34_000 + i)), name)]);
    const { manifest } = await new ModelRegistry(store, name).read();
    const online = manifest.versions.filter((v) => v.source === 'online');
    expect(online).toHaveLength(1);
    expect(online[0]).toMatchObject({ parent: 'v2', deliveries: ['r1'] });
    expect(manifest.versions.find((v) => v.version === 'v2')?.note).toBe('raced');
    expect(manifest.current).toBe(online[0].version);
    expect(report.round).toMatchObject({ parent: 'v2', version: online[0].version });
  });
});

/** Each delivery's final decisions in a manifest (split decisions decide nothing): how often it is named. */
function finalCounts(manifest: Awaited<ReturnType<ModelRegistry['read']>>['manifest']): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of manifest.decisions) if (!d.split) for (const id of d.deliveries) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('per-delivery decisions: a rejected round is bisected', () => {
  it('one correct delivery sent with four poisoned ones: the correct one is accepted, the four rejected, each once', async () => {
    const name = 'digits-bisect';
    const storage = new MemoryStorage();
    const t = learner(name, storage);
    const good = message('good', Array.from({ length: 50 }, (_, i) => example(35_000 + i)), name);
    const poisoned = [0, 1, 2, 3].map((k) => message(`poison-${k}`, ofClass(7, 50, 41_000 + k * 600, 1), name));
    const first = await t.train([poisoned[0], good, ...poisoned.slice(1)]);
    // The whole round is refused; nothing is decided yet: all five wait in the inbox, in halves.
    expect(first.round?.outcome).toBe('split');
    expect(first.applied).toEqual([]);
    expect(first.pending.sort()).toEqual(['good', 'poison-0', 'poison-1', 'poison-2', 'poison-3']);
    expect(await t.wake()).not.toBeNull();

    const rounds = await drain(t);
    const decided = [first, ...rounds].flatMap((r) => r.applied);
    expect(decided.map((d) => d.delivery).sort()).toEqual(['good', 'poison-0', 'poison-1', 'poison-2', 'poison-3']);
    expect(decided.find((d) => d.delivery === 'good')).toMatchObject({ outcome: 'accepted', version: 'v2' });
    for (const d of decided.filter((x) => x.delivery !== 'good')) {
      expect(d.outcome, d.delivery).toBe('rejected');
      expect(d.reason).toMatch(/significantly worse .*digit 7|significantly worse/);
    }
    expect(await t.wake()).toBeNull();
    expect((await t.status()).inbox).toEqual({ groups: 0, deliveries: 0 });

    const { manifest } = await new ModelRegistry(store, name).read();
    expect(manifest.current).toBe('v2');
    expect(manifest.versions.find((v) => v.version === 'v2')?.deliveries).toEqual(['good']);
    const counts = finalCounts(manifest);
    for (const id of ['good', 'poison-0', 'poison-1', 'poison-2', 'poison-3']) expect(counts.get(id), id).toBe(1);
    // Split decisions are kept for the record; the first names all five.
    expect(manifest.decisions.filter((d) => d.split).length).toBeGreaterThanOrEqual(2);
    expect(manifest.decisions[0]).toMatchObject({ split: true, accepted: false, candidate: null });
    expect(manifest.decisions[0].deliveries).toHaveLength(5);
    // Every decision says which test, the figures, alpha.
    const rejected = manifest.decisions.find((d) => d.deliveries[0] === 'poison-3' && !d.split)!;
    expect(rejected.test).toMatch(/McNemar/);
    expect(rejected.alpha).toBe(0.01);
    expect(rejected.checks![0]).toMatchObject({ set: 'anchor', worse: true });
    expect(rejected.checks![0].p).toBeLessThan(rejected.checks![0].alpha);

    // Redelivered afterwards (the queue's retry, a sender's redelivery): recognised, not trained again.
    const again = await t.train([good, ...poisoned]);
    expect(again.duplicates.sort()).toEqual(['good', 'poison-0', 'poison-1', 'poison-2', 'poison-3']);
    expect(again.round).toBeNull();
    expect(((await storage.get<Applied>('applied:poison-2'))!).outcome).toBe('rejected');
  });

  it('a delivery redelivered while its half waits in the inbox is reported pending, and decided once', async () => {
    const name = 'digits-pending';
    const t = learner(name);
    const good = message('g1', Array.from({ length: 40 }, (_, i) => example(36_000 + i)), name);
    const bad = message('b1', ofClass(7, 60, 43_000, 1), name);
    await t.train([good, bad]);
    const redelivered = await t.train([bad]);
    expect(redelivered).toMatchObject({ applied: [], duplicates: [], pending: ['b1'], round: null });
    await drain(t);
    const counts = finalCounts((await new ModelRegistry(store, name).read()).manifest);
    expect([counts.get('g1'), counts.get('b1')]).toEqual([1, 1]);
  });
});

describe('corrections are batched', () => {
  it('corrections wait until FEEDBACK_BATCH_SIZE have arrived, then make one round and one version', async () => {
    const name = 'digits-batch';
    let now = Date.parse('2026-12-01T10:00:00Z');
    const t = learner(name, new MemoryStorage(), { now: () => new Date(now) });
    const correction = (k: number) => message(`fb_${k}`, [example(37_000 + k)], name, 'feedback');
    const first = await t.train([correction(0), correction(1)]);
    expect(first).toMatchObject({ applied: [], pending: ['fb_0', 'fb_1'], round: null });
    expect(await t.runInbox()).toBeNull(); // 2 of 3, and the oldest has waited 0 of 60 s
    expect(await t.wake()).toBe(now + 60_000);
    await t.train([correction(2)]);
    expect(await t.wake()).toBeLessThanOrEqual(now); // 3: due now
    const [round] = await drain(t);
    expect(round.round).toMatchObject({ deliveries: ['fb_0', 'fb_1', 'fb_2'], outcome: 'accepted', version: 'v2' });
    // Fewer than a batch: decided once the oldest has waited FEEDBACK_BATCH_SECONDS.
    await t.train([correction(3)]);
    expect(await t.runInbox()).toBeNull();
    now += 61_000;
    const [late] = await drain(t);
    expect(late.round?.deliveries).toEqual(['fb_3']);
    const { manifest } = await new ModelRegistry(store, name).read();
    expect(manifest.versions.length).toBeLessThanOrEqual(3); // v1, and at most one version per batch
  });

  it('a batch whose rounds keep failing goes to the dead letters after GROUP_ATTEMPTS tries', async () => {
    const name = 'digits-failing';
    let now = Date.parse('2026-12-01T10:00:00Z');
    const t = learner(name, new MemoryStorage(), {
      now: () => new Date(now),
      backend: async () => { throw new Error('no kernels today'); },
    });
    await t.train([1, 2, 3].map((k) => message(`fb_fail_${k}`, [example(38_000 + k)], name, 'feedback')));
    for (let k = 0; k < GROUP_ATTEMPTS; k++) {
      now += 600_000; // past any backoff
      expect(await t.runInbox()).not.toBeNull();
    }
    expect(deadLetters.filter((d) => d.delivery.startsWith('fb_fail_')).map((d) => d.delivery).sort()).toEqual(['fb_fail_1', 'fb_fail_2', 'fb_fail_3']);
    expect(deadLetters.find((d) => d.delivery === 'fb_fail_1')?.error).toMatch(/no kernels today/);
    expect((await t.status()).inbox).toEqual({ groups: 0, deliveries: 0 });
  });
});

describe('the validation share', () => {
  it('accepted deliveries leave a held-out share that later candidates are judged on; rejected ones leave nothing', async () => {
    const name = 'digits-share';
    const t = learner(name);
    const report = await t.train([message('s1', Array.from({ length: 100 }, (_, i) => example(39_000 + i)), name)]);
    expect(report.round?.outcome).toBe('accepted');
    const held = report.round!.heldOut;
    expect(held).toBeGreaterThan(2); // about a tenth of 100
    expect(held).toBeLessThan(25);
    expect((await t.status()).validation.reduce((a, b) => a + b)).toBe(held);
    await t.train([message('s2', ofClass(7, 60, 45_000, 1), name)]);
    expect((await t.status()).validation.reduce((a, b) => a + b)).toBe(held);
    const next = await t.train([message('s3', Array.from({ length: 30 }, (_, i) => example(39_500 + i)), name)]);
    const { manifest } = await new ModelRegistry(store, name).read();
    const decision = manifest.decisions.at(-1)!;
    expect(next.round?.outcome).toBe('accepted');
    expect(decision.checks!.some((c) => c.set === 'validation' && c.n === held)).toBe(true);
    expect(decision.reason).toMatch(new RegExp(`validation share of accepted deliveries against v\\d+ \\(${held} images\\)`));
  });
});

describe('personal models', () => {
  it('a listed model forks its base\'s current version on first use, trains on its own, and leaves the base alone', async () => {
    const base = 'digits-base';
    await new ModelRegistry(store, base).publish(bundled, { source: 'offline', note: 'base v1' });
    await new ModelList(store, ['digits']).register('writer-x', base, 10);
    const before = (await new ModelRegistry(store, base).read()).manifest;
    const t = learner('writer-x', new MemoryStorage(), { firstVersion: (registry) => firstVersion(store, registry.name, { digits: bundled }) });
    const report = await t.train([message('w1', Array.from({ length: 50 }, (_, i) => example(40_000 + i)), 'writer-x')]);
    expect(report.round?.outcome).toBe('accepted');
    const { manifest } = await new ModelRegistry(store, 'writer-x').read();
    expect(manifest.versions.map((v) => [v.version, v.source, v.parent])).toEqual([['v1', 'fork', null], ['v2', 'online', 'v1']]);
    expect(manifest.versions[0]).toMatchObject({ base: { model: base, version: 'v1' }, note: `forked from ${base}@v1`, anchor: 'v1' });
    expect(manifest.versions[0].base!.sha256).toBe(before.versions[0].sha256);
    expect((await new ModelRegistry(store, base).read()).manifest).toEqual(before);
  });
});
