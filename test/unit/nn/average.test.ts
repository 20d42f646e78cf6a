import { describe, expect, it } from 'vitest';
import { recomputeStatistics, WeightAverage } from '../../../src/nn/average.ts';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { fit, oneHot } from '../../../src/nn/train.ts';

const dense: NetworkSpec = { input: [3], layers: [{ type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] };
const normed: NetworkSpec = { input: [2], layers: [{ type: 'dense', units: 2 }, { type: 'batchnorm' }, { type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] };
const net = (spec: NetworkSpec, seed = 1) => new Network(spec, { backend: new CpuBackend('float64'), seed });

describe('weight averaging', () => {
  it('the average of the weights added is their exact mean, and apply loads it', async () => {
    const a = net(dense, 1);
    const b = net(dense, 2);
    const avg = new WeightAverage();
    await avg.add(a);
    await avg.add(b);
    const wa = await a.weights();
    const wb = await b.weights();
    await avg.apply(a);
    const got = await a.weights();
    got.forEach((w, i) => w.data.forEach((v, j) => expect(v).toBeCloseTo((wa[i].data[j] + wb[i].data[j]) / 2, 6)));
    expect(avg.count).toBe(2);
  });

  it('refuses a network of another shape and an empty average', async () => {
    const avg = new WeightAverage();
    expect(() => avg.mean()).toThrow(/nothing added/);
    await avg.add(net(dense));
    await expect(avg.add(net({ input: [4], layers: [{ type: 'dense', units: 2 }] }))).rejects.toThrow(/does not match/);
  });

  it('batch-norm statistics recomputed are the mean of the batches\' statistics, exactly', async () => {
    const n = net(normed);
    const rng = new Rng(3);
    const batches = Array.from({ length: 4 }, () => ({ x: Float32Array.from({ length: 8 * 2 }, () => rng.normal() * 3 + 1), n: 8 }));
    expect(await recomputeStatistics(n, batches)).toBe(4);
    // The first dense layer's outputs, batch by batch: their per-batch means and (unbiased) variances, averaged.
    const w = Object.fromEntries((await n.weights()).map((t) => [t.name, t.data]));
    const names = Object.keys(w);
    const kernel = w[names.find((k) => k.endsWith('weight'))!];
    const bias = w[names.find((k) => k.endsWith('bias'))!];
    const mean = names.find((k) => k.endsWith('mean'))!;
    const variance = names.find((k) => k.endsWith('var'))!;
    for (let c = 0; c < 2; c++) {
      let m = 0;
      let v = 0;
      for (const { x } of batches) {
        const h = Array.from({ length: 8 }, (_, i) => kernel[c * 2] * x[i * 2] + kernel[c * 2 + 1] * x[i * 2 + 1] + bias[c]);
        const bm = h.reduce((s, y) => s + y, 0) / 8;
        m += bm / 4;
        v += h.reduce((s, y) => s + (y - bm) ** 2, 0) / 7 / 4;
      }
      expect(w[mean][c]).toBeCloseTo(m, 5);
      expect(w[variance][c]).toBeCloseTo(v, 5);
    }
  });

  it('fit with averageFrom ends with the mean of the last epochs\' weights, and refuses early stopping', async () => {
    const rng = new Rng(5);
    const nEx = 64;
    const x = Float32Array.from({ length: nEx * 3 }, () => rng.normal());
    const labels = Uint8Array.from({ length: nEx }, (_, i) => (x[i * 3] > 0 ? 1 : 0));
    const data = { n: nEx, x, y: oneHot(labels, 2) };
    const snapshots: number[][] = [];
    const a = net(dense);
    const history = await fit(a, data, {
      loss: 'xent', optimizer: 'sgd', lr: 0.5, batchSize: 16, epochs: 4, averageFrom: 3,
      onEpoch: () => void a.weights().then((w) => snapshots.push(w.flatMap((t) => [...t.data]))),
    });
    expect(history.averaged).toBe(2);
    const final = (await a.weights()).flatMap((t) => [...t.data]);
    const expected = snapshots[2].map((v, i) => (v + snapshots[3][i]) / 2);
    final.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    await expect(fit(net(dense), data, { loss: 'xent', lr: 0.1, batchSize: 16, epochs: 2, averageFrom: 1, validation: data, earlyStopping: { patience: 1 } })).rejects.toThrow(/do not combine/);
  });
});
