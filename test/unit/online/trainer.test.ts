import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web/wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModel } from '../../../functions/models/verify.ts';
import type { TrainingMessage } from '../../../functions/training/message.ts';
import { readExamples, readHoldout } from '../../../functions/trainer/sets.ts';
import { MemoryStorage, type Applied } from '../../../functions/trainer/state.ts';
import { OnlineTrainer, type TrainerDeps } from '../../../functions/trainer/trainer.ts';
import { TRAIN_FLOPS_PER_CPU_MS } from '../../../functions/limits.ts';
import { packExamples, toBytes, type Example } from '../../../src/online/index.ts';
import { ModelRegistry, type ObjectStore } from '../../../src/registry/index.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';
import { localR2 } from '../registry/local-r2.ts';

// The online trainer's round outside workerd: the same code the Durable Object runs, over a real
// local R2 (Miniflare), the WASM kernels, onnxruntime-web as the verifier and real MNIST digits.
// test/worker/online.test.ts runs it inside workerd through the webhook, the queue and the object.

const { train } = loadMnist();
const bundled = new Uint8Array(readFileSync('models/digits.onnx'));
const read = (f: string) => new Uint8Array(readFileSync(`models/${f}`));
const holdout = readHoldout({ images: read('holdout-images.idx.gz'), labels: read('holdout-labels.idx.gz') });
const replaySeed = readExamples({ images: read('replay-images.idx.gz'), labels: read('replay-labels.idx.gz') });

const example = (i: number, label = train.labels[i]): Example => ({ pixels: toBytes(train.pixels.subarray(i * 784, (i + 1) * 784)), label });
const message = (delivery: string, examples: Example[], model = 'digits'): TrainingMessage => ({
  delivery, model, source: 'webhook', receivedAt: new Date().toISOString(), records: packExamples(examples),
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

function trainer(model: string, storage = new MemoryStorage(), extra: Partial<TrainerDeps> = {}) {
  return new OnlineTrainer({
    model, store, storage, bundled,
    holdout: () => holdout, replaySeed: () => replaySeed, backend: () => nodeWasmBackend({ variant: 'simd' }),
    verify: (bytes) => checkModel(ortWeb, bytes), budgetMs: 20_000, flopsPerMs: TRAIN_FLOPS_PER_CPU_MS, ...extra,
  });
}

describe('the online trainer (one round per call)', () => {
  it('publishes the bundled model as v1, then correct examples as v2 (gate passed), each delivery once', async () => {
    const storage = new MemoryStorage();
    const t = trainer('digits', storage);
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
    // The stored bytes are what the trainer scored: they import and score the same.
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
    const t = trainer('digits-crash');
    await t.train([message('c1', Array.from({ length: 40 }, (_, i) => example(31_000 + i)), 'digits-crash')]);
    // A new object with empty storage (its records lost), over the same registry.
    const fresh = trainer('digits-crash');
    const report = await fresh.train([message('c1', Array.from({ length: 40 }, (_, i) => example(31_000 + i)), 'digits-crash')]);
    expect(report.duplicates).toEqual(['c1']);
    expect((await fresh.status()).applied).toBe(1); // recorded from the manifest
    expect((await new ModelRegistry(store, 'digits-crash').read()).manifest.versions).toHaveLength(2);
  });

  it('deliberately wrong labels (ones labelled 7) make a candidate the gate rejects; the served version is unchanged', async () => {
    const storage = new MemoryStorage();
    const t = trainer('digits-poison', storage);
    const report = await t.train([message('p1', ofClass(1, 100, 40_000, 7), 'digits-poison')]);
    expect(report.round?.outcome).toBe('rejected');
    expect(report.round?.reason).toMatch(/digit 1|fell/);
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
    const report = await trainer('digits-holdout').train([message('h1', [...copies, example(32_000)], 'digits-holdout')]);
    expect(report.round).toMatchObject({ droppedHoldout: 5, examples: 1 });
  });

  it('a budget of 0 ms trains nothing and publishes nothing', async () => {
    const report = await trainer('digits-budget', new MemoryStorage(), { budgetMs: 0 }).train([message('b1', [example(33_000)], 'digits-budget')]);
    expect(report.round).toMatchObject({ outcome: 'rejected', examplePasses: 0, maxExamplePasses: 0 });
    expect(report.round?.reason).toMatch(/CPU budget/);
  });
});

describe('the online trainer against concurrent writers', () => {
  it('a version published while a round trains is never overridden: the round is redone on it', async () => {
    const name = 'digits-race';
    let checks = 0;
    const t = trainer(name, new MemoryStorage(), {
      verify: async (bytes) => {
        // The 2nd check is the candidate's, just before its manifest update: an admin publishes first.
        if (++checks === 2) await new ModelRegistry(store, name).publish(bundled, { source: 'offline', note: 'raced' });
        await checkModel(ortWeb, bytes);
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
