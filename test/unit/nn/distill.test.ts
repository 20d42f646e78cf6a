import { describe, expect, it } from 'vitest';
import { distillTargets } from '../../../src/nn/distill.ts';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { Network } from '../../../src/nn/network.ts';
import { fit, oneHot } from '../../../src/nn/train.ts';

describe('distillation', () => {
  it('mixes the teacher\'s probabilities softened at T into the labels: exact values', () => {
    const t = Float32Array.from([1, 0, 0, 1]);
    // T = 1: the probabilities as they are; w = 0.5.
    distillTargets(t.subarray(0, 2), [0.9, 0.1], 1, 2, { temperature: 1, weight: 0.5 });
    expect([...t.subarray(0, 2)].map((v) => +v.toFixed(6))).toEqual([0.95, 0.05]);
    // T = 2: sqrt(0.9) : sqrt(0.1) = 3 : 1, so the softened teacher says 0.75 / 0.25.
    distillTargets(t.subarray(2), [0.9, 0.1], 1, 2, { temperature: 2, weight: 0.5 });
    expect([...t.subarray(2)].map((v) => +v.toFixed(6))).toEqual([0.375, 0.625]);
  });

  it('keeps each row a distribution, and refuses a bad temperature or weight', () => {
    const t = oneHot(Uint8Array.from([3, 7]), 10);
    const teacher = Float32Array.from({ length: 20 }, (_, i) => (i % 10) + 1).map((v, i) => v / (i < 10 ? 55 : 55));
    distillTargets(t, teacher, 2, 10, { temperature: 4, weight: 0.3 });
    for (let r = 0; r < 2; r++) expect(t.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(() => distillTargets(t, teacher, 2, 10, { temperature: 0, weight: 0.3 })).toThrow(/temperature/);
    expect(() => distillTargets(t, teacher, 2, 10, { temperature: 2, weight: 1.5 })).toThrow(/weight/);
  });

  it('fit hands each augmented batch and its targets to the targets hook before the step', async () => {
    const net = new Network({ input: [2], layers: [{ type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] }, { backend: new CpuBackend('float64'), seed: 1 });
    const data = { n: 6, x: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), y: oneHot(Uint8Array.from([0, 1, 0, 1, 0, 1]), 2) };
    const seen: Array<{ x: number[]; t: number[] }> = [];
    await fit(net, data, {
      loss: 'xent', lr: 0.1, batchSize: 4, epochs: 1,
      augment: (x, n) => { for (let i = 0; i < 2 * n; i++) x[i] += 100; },
      targets: (x, t, n) => { seen.push({ x: [...x.subarray(0, 2 * n)], t: [...t.subarray(0, 2 * n)] }); },
    });
    expect(seen.map((b) => b.x.length / 2)).toEqual([4, 2]);
    expect(seen.flatMap((b) => b.x).every((v) => v >= 100)).toBe(true);
    expect(seen.flatMap((b) => b.t).reduce((a, b) => a + b, 0)).toBe(6);
  });
});
