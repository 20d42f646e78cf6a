import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf, sliceOf } from '../../../src/nn/backend/cpu/data-parallel.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { mlp } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { fit, oneHot, Trainer } from '../../../src/nn/train.ts';
import { createParallelTrainer, type ParallelTraining } from '../../../scripts/lib/parallel-trainer.ts';
import { createTraining } from '../../../scripts/lib/training.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';

function batch(rng: Rng, n: number, inputs: number, classes: number) {
  const x = Float32Array.from({ length: n * inputs }, () => rng.uniform());
  const t = oneHot(Array.from({ length: n }, () => rng.int(classes)), classes);
  return { x, t };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const open: ParallelTraining[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

async function parallel(spec: NetworkSpec, threads: number, optimizer: 'sgd' | 'momentum' | 'adam') {
  const p = await createParallelTrainer(spec, { threads, seed: 5, loss: 'xent', optimizer, variant: 'simd' });
  open.push(p);
  return p;
}

async function single(spec: NetworkSpec, optimizer: 'sgd' | 'momentum' | 'adam') {
  const net = new Network(spec, { backend: await nodeWasmBackend({ variant: 'simd' }), seed: 5 });
  return { net, trainer: new Trainer(net, { loss: 'xent', optimizer }) };
}

describe('splitting work across replicas', () => {
  it('rows and parameter slices partition their range exactly, slices on 16-float boundaries', () => {
    for (const replicas of [1, 2, 3, 4]) {
      for (const n of [1, 2, 17, 63, 64, 1000, 627_200]) {
        for (const split of [rowsOf, sliceOf]) {
          let next = 0;
          for (let r = 0; r < replicas; r++) {
            const { start, length } = split(n, r, replicas);
            expect(start).toBe(next);
            expect(length).toBeGreaterThanOrEqual(0);
            if (split === sliceOf && r < replicas - 1) expect((start + length) % 16 === 0 || start + length === n).toBe(true);
            next = start + length;
          }
          expect(next).toBe(n);
        }
      }
    }
  });
});

describe('data-parallel training on two threads', () => {
  it('same starting weights and the same batch give the averaged gradient of one thread', async () => {
    const spec = mlp([784, 800, 10]);
    const rng = new Rng(3);
    for (const n of [64, 63]) {
      const { x, t } = batch(rng, n, 784, 10);
      const p = await parallel(spec, 2, 'sgd');
      const s = await single(spec, 'sgd');
      const w0 = await s.net.weights();
      expect(maxDiff((await p.net.weights())[0].data, w0[0].data)).toBe(0);
      // Plain SGD with lr = 1: the change of the weights is minus the mean gradient.
      p.trainer.stepHost(x, t, n, 1);
      s.trainer.stepHost(x, t, n, 1);
      const [wp, ws] = [await p.net.weights(), await s.net.weights()];
      wp.forEach((w, i) => {
        const gp = Float64Array.from(w.data, (v, j) => w0[i].data[j] - v);
        const gs = Float64Array.from(ws[i].data, (v, j) => w0[i].data[j] - v);
        const scale = gs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        expect(maxDiff(gp, gs) / scale, `${w.name}, batch ${n}`).toBeLessThan(1e-4);
      });
      const [dp, ds] = [await p.trainer.drain(), await s.trainer.drain()];
      expect(dp.examples).toBe(n);
      expect(dp.loss).toBeCloseTo(ds.loss, 5);
      expect(dp.accuracy).toBe(ds.accuracy);
    }
  });

  it('follows the single-threaded trajectory over several momentum and Adam steps, for any batch size', async () => {
    const spec: NetworkSpec = { input: [30], layers: [{ type: 'dense', units: 33 }, { type: 'activation', fn: 'tanh' }, { type: 'dense', units: 4 }, { type: 'activation', fn: 'softmax' }] };
    for (const optimizer of ['momentum', 'adam'] as const) {
      const p = await parallel(spec, 3, optimizer);
      const s = await single(spec, optimizer);
      const rng = new Rng(8);
      for (const n of [16, 5, 1, 2, 31]) {
        const { x, t } = batch(rng, n, 30, 4);
        p.trainer.stepHost(x, t, n, 0.05);
        s.trainer.stepHost(x, t, n, 0.05);
      }
      expect(p.trainer.steps).toBe(5);
      const [wp, ws] = [await p.net.weights(), await s.net.weights()];
      wp.forEach((w, i) => expect(maxDiff(w.data, ws[i].data), `${optimizer} ${w.name}`).toBeLessThan(1e-5));
    }
  });

  it('plugs into fit() and learns', async () => {
    const spec: NetworkSpec = { input: [2], layers: [{ type: 'dense', units: 16 }, { type: 'activation', fn: 'tanh' }, { type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] };
    const rng = new Rng(1);
    const n = 512;
    const x = Float32Array.from({ length: 2 * n }, () => rng.uniform() * 2 - 1);
    const y = oneHot(Array.from({ length: n }, (_, i) => (x[2 * i] * x[2 * i + 1] > 0 ? 1 : 0)), 2); // XOR quadrants
    const p = await parallel(spec, 2, 'momentum');
    const history = await fit(p.net, { n, x, y }, { trainer: p.trainer, loss: 'xent', lr: 0.2, batchSize: 32, epochs: 30, test: { n, x, y } });
    expect(history.epochs.at(-1)!.testAccuracy).toBeGreaterThan(0.9);
  });

  it('createTraining: the reference, one WASM thread and two WASM threads train alike', async () => {
    const spec: NetworkSpec = { input: [20], layers: [{ type: 'dense', units: 17 }, { type: 'activation', fn: 'sigmoid' }, { type: 'dense', units: 3 }, { type: 'activation', fn: 'softmax' }] };
    const setups = await Promise.all([
      createTraining(spec, { backend: 'reference', seed: 2, loss: 'xent', optimizer: 'momentum' }),
      createTraining(spec, { threads: 1, seed: 2, loss: 'xent', optimizer: 'momentum' }),
      createTraining(spec, { threads: 2, seed: 2, loss: 'xent', optimizer: 'momentum', relaxed: false }),
    ]);
    expect(setups.map((s) => s.description)).toEqual(['TypeScript reference, 1 thread', expect.stringMatching(/^WASM .*, 1 thread$/), 'WASM simd128, 2 threads']);
    const rng = new Rng(4);
    for (let step = 0; step < 4; step++) {
      const { x, t } = batch(rng, 24, 20, 3);
      for (const s of setups) s.trainer.stepHost(x, t, 24, 0.3);
    }
    const weights = await Promise.all(setups.map((s) => s.net.weights()));
    for (const w of weights.slice(1)) w.forEach((p, i) => expect(maxDiff(p.data, weights[0][i].data), p.name).toBeLessThan(1e-5));
    await Promise.all(setups.map((s) => s.close()));
    await expect(createTraining(spec, { backend: 'reference', threads: 2, loss: 'xent' })).rejects.toThrow(/one thread/);
  });

  it('reports a replica that cannot start', async () => {
    await expect(createParallelTrainer(mlp([784, 800, 10]), { threads: 2, loss: 'xent', arenaBytes: 1 << 20, variant: 'simd' })).rejects.toThrow(/replica thread failed to start: .*out of memory/);
  });
});
