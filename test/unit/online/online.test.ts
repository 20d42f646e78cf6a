import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/nn/rng.ts';
import { importOnnx } from '../../../src/onnx/import.ts';
import { ReplayBuffer, fineTune, gate, scoreHoldout, toBytes, type Example, type Holdout } from '../../../src/online/index.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';

const { train, test } = loadMnist();
const example = (i: number, label = train.labels[i]): Example => ({ pixels: toBytes(train.pixels.subarray(i * 784, (i + 1) * 784)), label });
const holdout: Holdout = { n: 1000, x: test.pixels.subarray(0, 1000 * 784), labels: test.labels.subarray(0, 1000) };
const modelBytes = new Uint8Array(readFileSync('models/digits.onnx'));
const replay = () => ReplayBuffer.seed(Array.from({ length: 2000 }, (_, i) => example(i)), 50);

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

  it('correct new examples make a candidate that passes the holdout gate', async () => {
    const { network } = await importOnnx(modelBytes);
    const before = await scoreHoldout(network, holdout);
    const fresh = Array.from({ length: 200 }, (_, i) => example(30000 + i));
    const r = await fineTune(network, fresh, replay(), { epochs: 3, seed: 2 });
    expect(r.truncated).toBe(false);
    const after = await scoreHoldout(network, holdout);
    const decision = gate(after, before);
    expect(decision.accepted, decision.reason).toBe(true);
  }, 180_000);

  it('deliberately wrong labels make a candidate the gate rejects', async () => {
    const { network } = await importOnnx(modelBytes);
    const before = await scoreHoldout(network, holdout);
    // Every 1 in a slice of the training set, labelled 7.
    const ones = [];
    for (let i = 40000; ones.length < 150; i++) if (train.labels[i] === 1) ones.push(example(i, 7));
    await fineTune(network, ones, replay(), { epochs: 3, seed: 3 });
    const decision = gate(await scoreHoldout(network, holdout), before);
    expect(decision.accepted).toBe(false);
    expect(decision.reason).toMatch(/digit 1|fell/);
  });

  it('stops at the CPU budget (counted in example passes)', async () => {
    const { network } = await importOnnx(modelBytes);
    const fresh = Array.from({ length: 100 }, (_, i) => example(50000 + i));
    const r = await fineTune(network, fresh, replay(), { epochs: 10, batchSize: 32, maxExamplePasses: 200 });
    expect(r.truncated).toBe(true);
    expect(r.examplePasses).toBeLessThanOrEqual(200);
    expect(r.steps).toBe(6);
  });
});
