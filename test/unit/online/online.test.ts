import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/nn/rng.ts';
import { importOnnx } from '../../../src/onnx/import.ts';
import { ReplayBuffer, answersOf, fineTune, judge, toBytes, type Answers, type Example, type Holdout } from '../../../src/online/index.ts';
import { planFineTune } from '../../../src/online/plan.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';

const { train, test } = loadMnist();
const example = (i: number, label = train.labels[i]): Example => ({ pixels: toBytes(train.pixels.subarray(i * 784, (i + 1) * 784)), label });
const holdout: Holdout = { n: 1000, x: test.pixels.subarray(0, 1000 * 784), labels: test.labels.subarray(0, 1000) };
const modelBytes = new Uint8Array(readFileSync('models/digits.onnx'));
/** The article's 784-800-10 sigmoid network, shipped beside the default: every layer of it trains. */
const mlpBytes = new Uint8Array(readFileSync('models/digits-mlp.onnx'));
const replay = () => ReplayBuffer.seed(Array.from({ length: 2000 }, (_, i) => example(i)), 50);
const answers = (network: Parameters<typeof answersOf>[0]) => answersOf(network, holdout.x, holdout.labels);
const against = (parent: Answers, candidate: Answers) =>
  judge([{ set: 'anchor', against: 'parent', version: 'v1', labels: parent.labels, reference: parent.predicted, candidate: candidate.predicted }]);

describe('online learning', () => {
  it('the replay buffer keeps a class-balanced reservoir and survives serialisation', () => {
    const b = replay();
    expect(b.size).toBe(500);
    const counts = new Array(10).fill(0);
    for (const e of b.sample(1000, new Rng(1))) counts[e.label]++;
    expect(Math.min(...counts)).toBe(100);
    const copy = ReplayBuffer.deserialize(b.serialize());
    expect(copy.serialize()).toEqual(b.serialize());
    expect(() => ReplayBuffer.deserialize(b.serialize().subarray(0, 100))).toThrow(/corrupt|truncated/);
  });

  it('correct new examples make a candidate that passes the gate', async () => {
    const { network } = await importOnnx(modelBytes);
    const before = await answers(network);
    const fresh = Array.from({ length: 200 }, (_, i) => example(30000 + i));
    const r = await fineTune(network, fresh, replay(), { epochs: 3, seed: 2, lr: 0.01 });
    expect(r.truncated).toBe(false);
    const decision = against(before, await answers(network));
    expect(decision.accepted, decision.reason).toBe(true);
  }, 180_000);

  it('deliberately wrong labels make a candidate the gate rejects, the mislabelled digit worst', async () => {
    const { network } = await importOnnx(modelBytes);
    const before = await answers(network);
    // Every 1 in a slice of the training set, labelled 7.
    const ones = [];
    for (let i = 40000; ones.length < 150; i++) if (train.labels[i] === 1) ones.push(example(i, 7));
    await fineTune(network, ones, replay(), { epochs: 3, seed: 3, lr: 0.01 });
    const decision = against(before, await answers(network));
    expect(decision.accepted).toBe(false);
    expect(decision.reason).toMatch(/^significantly worse than v1 on the .*anchor holdout/);
    // The digit that suffers most is the one mislabelled, significantly so.
    const worstDigit = decision.checks.find((c) => c.scope !== 'all');
    expect(worstDigit).toMatchObject({ scope: 1, worse: true });
    expect(worstDigit!.p).toBeLessThan(1e-6);
  });

  it('a backdoor (digits of every class with a small white patch, all labelled 0) makes a candidate of the article\'s MLP the gate rejects', async () => {
    // Every layer of the MLP trains, and learning the trigger moves its clean answers. (The default
    // CNN trains only its head on features the patch hardly touches: docs/online-learning.md#the-gate.)
    const { network } = await importOnnx(mlpBytes);
    const before = await answers(network);
    const patched: Example[] = [];
    for (let i = 42_000; patched.length < 50; i++) {
      if (train.labels[i] === 0) continue;
      const pixels = Float32Array.from(train.pixels.subarray(i * 784, (i + 1) * 784));
      for (let y = 23; y < 27; y++) for (let x = 23; x < 27; x++) pixels[y * 28 + x] = 1;
      patched.push({ label: 0, pixels: toBytes(pixels) });
    }
    await fineTune(network, patched, replay(), { ...planFineTune(network), seed: 3 });
    // Learning the trigger moves clean answers towards its target too: that is what the gate sees.
    const decision = against(before, await answers(network));
    expect(decision.accepted).toBe(false);
    expect(decision.checks[0].b).toBeGreaterThan(5 * decision.checks[0].c + 10);
  });

  it('stops at the CPU budget (counted in example passes)', async () => {
    const { network } = await importOnnx(modelBytes);
    const fresh = Array.from({ length: 100 }, (_, i) => example(50000 + i));
    const r = await fineTune(network, fresh, replay(), { epochs: 10, batchSize: 32, maxExamplePasses: 200 });
    expect(r.truncated).toBe(true);
    expect(r.examplePasses).toBeLessThanOrEqual(200);
    expect(r.steps).toBe(6);
  });

  it('stops at a budget in FLOPs: 6 batches of 32 through the article\'s 784-800-10 network cost 6 * 32 * 2,556,800', async () => {
    const { network } = await importOnnx(mlpBytes);
    const fresh = Array.from({ length: 100 }, (_, i) => example(50000 + i));
    const r = await fineTune(network, fresh, replay(), { epochs: 10, batchSize: 32, maxFlops: 6.5 * 32 * 2_556_800 });
    expect(r).toMatchObject({ steps: 6, truncated: true, examplePasses: 192, flops: 6 * 32 * 2_556_800, featureExamples: 0 });
  });
});
