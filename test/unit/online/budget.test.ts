import { describe, expect, it } from 'vitest';
import { Network } from '../../../src/nn/network.ts';
import { mlp, parseArch } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import {
  examplePassesWithin, packExamples, RECORD_BYTES, ReplayBuffer, trainingFlopsPerExample, unpackExamples, type Example,
} from '../../../src/online/index.ts';

const random = (rng: Rng, label: number): Example => ({ label, pixels: Uint8Array.from({ length: 784 }, () => rng.int(256)) });

describe('the CPU budget in example passes', () => {
  it('counts the FLOPs of a training example by hand-checked formulas', () => {
    // 784-800-10: forward 784*800 + 800*10 multiply-adds; backward twice that, minus the first layer's dE/dx.
    expect(trainingFlopsPerExample(new Network(mlp([784, 800, 10])))).toBe(2 * (2 * 784 * 800 + 3 * 800 * 10));
    // LeNet-5: conv 6@5x5 'same' on 28x28 (6*25*784), conv 16@5x5 on 6x14x14 (16*150*100), dense 400-120-84-10.
    const lenet = new Network(parseArch('lenet5'));
    expect(trainingFlopsPerExample(lenet)).toBe(2 * (2 * 6 * 25 * 784 + 3 * (16 * 150 * 100 + 400 * 120 + 120 * 84 + 84 * 10)));
  });

  it('converts milliseconds with a rate, never to a fraction of a pass', () => {
    expect(examplePassesWithin(20_000, 2_556_800, 10e6)).toBe(Math.floor((20_000 * 10e6) / 2_556_800));
    expect(examplePassesWithin(0.001, 2_556_800, 10e6)).toBe(1);
    expect(examplePassesWithin(0, 2_556_800, 10e6)).toBe(0);
    expect(() => examplePassesWithin(10, 0, 10e6)).toThrow(/FLOPs/);
  });
});

describe('examples as queue bytes, the replay buffer one class at a time', () => {
  it('packs and unpacks examples exactly; refuses bytes that cannot be examples', () => {
    const rng = new Rng(4);
    const examples = Array.from({ length: 7 }, (_, i) => random(rng, i % 10));
    const packed = packExamples(examples);
    expect(packed.length).toBe(7 * RECORD_BYTES);
    expect(unpackExamples(packed)).toEqual(examples);
    expect(() => unpackExamples(packed.subarray(1))).toThrow(/785 bytes each/);
    const bad = packed.slice();
    bad[RECORD_BYTES] = 10;
    expect(() => unpackExamples(bad)).toThrow(/label 10/);
    expect(() => packExamples([{ label: 3, pixels: new Uint8Array(783) }])).toThrow(/784 pixels/);
  });

  it('per-class bytes restore the same buffer (reservoir counts included)', () => {
    const rng = new Rng(5);
    const b = ReplayBuffer.seed(Array.from({ length: 400 }, (_, i) => random(rng, i % 7)), 20);
    const copy = ReplayBuffer.fromClassBytes(20, Array.from({ length: 10 }, (_, c) => b.classBytes(c)));
    expect(copy.serialize()).toEqual(b.serialize());
    expect(copy.classSizes()).toEqual([20, 20, 20, 20, 20, 20, 20, 0, 0, 0]);
    // A missing class starts empty; a truncated one is refused.
    expect(ReplayBuffer.fromClassBytes(20, [b.classBytes(0)]).classSizes()).toEqual([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => ReplayBuffer.fromClassBytes(20, [b.classBytes(0).subarray(0, 100)])).toThrow(/corrupt/);
  });
});
