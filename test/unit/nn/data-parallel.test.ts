import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf, sliceOf, unitsOf } from '../../../src/nn/parallel/data-parallel.ts';
import { Dense } from '../../../src/nn/layers/dense.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { mlp } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { fit, oneHot, Trainer } from '../../../src/nn/train.ts';
import { startReplicaThreads, type ReplicaThreads } from '../../../scripts/lib/replica-threads.ts';
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

const open: ReplicaThreads[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

async function parallel(spec: NetworkSpec, threads: number, optimizer: 'sgd' | 'momentum' | 'adam') {
  const p = await startReplicaThreads(spec, { threads, seed: 5, loss: 'xent', optimizer, variant: 'simd' });
  open.push(p);
  return p;
}

/** Plain SGD with lr = 1 from the same start: the change of every weight is minus the step's gradient. */
async function gradientsOfOneStep(net: Network, step: () => void): Promise<Float64Array[]> {
  const values = () => Promise.all(net.params().map(({ param }) => net.backend.read(param.value)));
  const w0 = await values();
  step();
  const w1 = await values();
  return w1.map((w, i) => Float64Array.from(w, (v, j) => w0[i][j] - v));
}

function expectSameGradients(got: Float64Array[], want: Float64Array[], names: string[], tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const scale = want[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale, names[i]).toBeGreaterThan(0);
    expect(maxDiff(g, want[i]) / scale, names[i]).toBeLessThan(tol);
  });
}

async function single(spec: NetworkSpec, optimizer: 'sgd' | 'momentum' | 'adam') {
  const net = new Network(spec, { backend: await nodeWasmBackend({ variant: 'simd' }), seed: 5 });
  return { net, trainer: new Trainer(net, { loss: 'xent', optimizer }) };
}

describe('splitting work across replicas', () => {
  it('rows, parameter slices and dense units partition their range exactly, slices on 16-float and units on 4-unit boundaries', () => {
    for (const replicas of [1, 2, 3, 4]) {
      for (const n of [1, 2, 10, 17, 63, 64, 800, 1000, 627_200]) {
        for (const split of [rowsOf, sliceOf, unitsOf]) {
          let next = 0;
          for (let r = 0; r < replicas; r++) {
            const { start, length } = split(n, r, replicas);
            expect(start).toBe(next);
            expect(length).toBeGreaterThanOrEqual(0);
            if (split === sliceOf && r < replicas - 1) expect((start + length) % 16 === 0 || start + length === n).toBe(true);
            if (split === unitsOf && r < replicas - 1) expect((start + length) % 4 === 0 || start + length === n).toBe(true);
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

  it('startHost: steps started back to back from one reused host buffer end where blocking steps do', async () => {
    const spec = mlp([784, 800, 10]);
    const p = await parallel(spec, 2, 'momentum');
    const s = await single(spec, 'momentum');
    const rng = new Rng(9);
    const x = new Float32Array(64 * 784);
    const t = new Float32Array(64 * 10);
    const batches = [64, 64, 5, 63, 1, 64, 64].map((n) => ({ n, ...batch(rng, n, 784, 10) }));
    for (const b of batches) {
      // One host buffer for every batch, overwritten as soon as startHost returns (as fit does).
      x.set(b.x);
      t.set(b.t);
      p.trainer.startHost(x.subarray(0, b.n * 784), t.subarray(0, b.n * 10), b.n, 0.05);
      x.fill(Number.NaN);
    }
    for (const b of batches) s.trainer.stepHost(b.x, b.t, b.n, 0.05);
    const [dp, ds] = [await p.trainer.drain(), await s.trainer.drain()];
    expect(dp.examples).toBe(325);
    expect(dp.loss).toBeCloseTo(ds.loss, 5);
    const [wp, ws] = [await p.net.weights(), await s.net.weights()];
    wp.forEach((w, i) => expect(maxDiff(w.data, ws[i].data), w.name).toBeLessThan(1e-5));
  });

  it('fit() on two threads follows fit() on one, batch for batch', async () => {
    const spec = mlp([40, 24, 3]);
    const rng = new Rng(4);
    const n = 150;
    const data = { n, x: Float32Array.from({ length: n * 40 }, () => rng.uniform()), y: oneHot(Array.from({ length: n }, () => rng.int(3)), 3) };
    const p = await parallel(spec, 2, 'momentum');
    const s = await single(spec, 'momentum');
    const opts = { loss: 'xent' as const, optimizer: 'momentum' as const, lr: 0.2, batchSize: 32, epochs: 2, seed: 3 };
    const hp = await fit(p.net, data, { ...opts, trainer: p.trainer });
    const hs = await fit(s.net, data, { ...opts, trainer: s.trainer });
    hp.epochs.forEach((e, i) => expect(e.trainLoss).toBeCloseTo(hs.epochs[i].trainLoss, 5));
    const [wp, ws] = [await p.net.weights(), await s.net.weights()];
    wp.forEach((w, i) => expect(maxDiff(w.data, ws[i].data), w.name).toBeLessThan(1e-5));
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

  it('a convolutional network (conv, pool, dense) takes the one-thread step', async () => {
    const spec: NetworkSpec = {
      input: [2, 9, 9],
      layers: [
        { type: 'conv2d', filters: 5, kernel: 3, padding: 1 }, { type: 'activation', fn: 'relu' }, { type: 'maxpool', size: 2 },
        { type: 'flatten' }, { type: 'dense', units: 13 }, { type: 'activation', fn: 'tanh' }, { type: 'dense', units: 4 }, { type: 'activation', fn: 'softmax' },
      ],
    };
    const rng = new Rng(21);
    for (const n of [16, 7]) {
      const { x, t } = batch(rng, n, 2 * 9 * 9, 4);
      const p = await parallel(spec, 2, 'sgd');
      const s = await single(spec, 'sgd');
      const gp = await gradientsOfOneStep(p.net, () => p.trainer.stepHost(x, t, n, 1));
      const gs = await gradientsOfOneStep(s.net, () => s.trainer.stepHost(x, t, n, 1));
      expectSameGradients(gp, gs, s.net.params().map((q) => `${q.name}, batch ${n}`));
    }
  });

  it('with batch norm, each replica normalises its own rows: the step is the sum of one-thread gradients over each share', async () => {
    const spec: NetworkSpec = {
      input: [3, 6, 6],
      layers: [
        { type: 'conv2d', filters: 4, kernel: 3 }, { type: 'batchnorm' }, { type: 'activation', fn: 'relu' },
        { type: 'flatten' }, { type: 'dense', units: 9 }, { type: 'batchnorm' }, { type: 'activation', fn: 'sigmoid' },
        { type: 'dense', units: 3 }, { type: 'activation', fn: 'softmax' },
      ],
    };
    const n = 12;
    const { x, t } = batch(new Rng(22), n, 3 * 6 * 6, 3);
    const p = await parallel(spec, 2, 'sgd');
    const gp = await gradientsOfOneStep(p.net, () => p.trainer.stepHost(x, t, n, 1));
    // One thread, by hand: backprop each replica's rows (scaled for the whole batch) and add.
    const s = await single(spec, 'sgd');
    const B = s.net.backend;
    const want = s.net.params().map(({ param }) => new Float64Array(param.value.size));
    for (const r of [0, 1]) {
      const { start, length } = rowsOf(n, r, 2);
      const xs = B.tensor([length, 3, 6, 6], x.subarray(start * 108, (start + length) * 108));
      const ts = B.tensor([length, 3], t.subarray(start * 3, (start + length) * 3));
      s.trainer.backprop(xs, ts, 1 / n, 0);
      const grads = await Promise.all(s.net.params().map(({ param }) => B.read(param.grad)));
      grads.forEach((g, i) => g.forEach((v, j) => (want[i][j] += v)));
    }
    expectSameGradients(gp, want, s.net.params().map((q) => q.name));
  });

  it('a dense layer with a connectivity mask keeps its cut weights at zero across threads', async () => {
    const mask = Array.from({ length: 12 * 10 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const spec: NetworkSpec = { input: [10], layers: [{ type: 'dense', units: 12, mask }, { type: 'activation', fn: 'tanh' }, { type: 'dense', units: 3 }, { type: 'activation', fn: 'softmax' }] };
    const { x, t } = batch(new Rng(23), 20, 10, 3);
    const p = await parallel(spec, 2, 'momentum');
    const s = await single(spec, 'momentum');
    for (let k = 0; k < 3; k++) {
      p.trainer.stepHost(x, t, 20, 0.5);
      s.trainer.stepHost(x, t, 20, 0.5);
    }
    const [wp, ws] = [await p.net.weights(), await s.net.weights()];
    wp.forEach((w, i) => expect(maxDiff(w.data, ws[i].data), w.name).toBeLessThan(1e-5));
    const w = wp.find((q) => q.name === 'dense0.weight')!;
    mask.forEach((m, i) => m || expect(w.data[i]).toBe(0));
  });

  it("leaves the caller's network as it was: its dense layers compute their own weight gradient again", async () => {
    const spec = mlp([6, 5, 2]);
    const { x, t } = batch(new Rng(24), 8, 6, 2);
    const p = await parallel(spec, 2, 'sgd');
    p.trainer.stepHost(x, t, 8, 0.1);
    const dense = p.net.layers.filter((l): l is Dense => l instanceof Dense);
    expect(dense.map((d) => d.deferWeightGrad)).toEqual([false, false]);
    // One thread on the same network now: the same step as a fresh single-threaded copy.
    const s = await single(spec, 'sgd');
    s.net.setWeights(await p.net.weights());
    const alone = new Trainer(p.net, { loss: 'xent', optimizer: 'sgd' });
    const gp = await gradientsOfOneStep(p.net, () => alone.stepHost(x, t, 8, 1));
    const gs = await gradientsOfOneStep(s.net, () => s.trainer.stepHost(x, t, 8, 1));
    expectSameGradients(gp, gs, ['w0', 'b0', 'w1', 'b1'], 1e-6);
  });

  it.runIf(existsSync('/proc/self/task'))('replicas sleep while no step comes: no thread of an idle trainer runs or waits to run', async () => {
    const p = await parallel(mlp([784, 800, 10]), 2, 'momentum');
    const { x, t } = batch(new Rng(25), 64, 784, 10);
    for (let k = 0; k < 3; k++) p.trainer.stepHost(x, t, 64, 0.1);
    await new Promise((r) => setTimeout(r, 50));
    // Per thread (Linux schedstat): nanoseconds on a CPU plus nanoseconds runnable but waiting for
    // one. A thread that spins is one or the other all the time, however busy the machine; a
    // sleeping thread is neither.
    const activity = () => new Map(readdirSync('/proc/self/task').filter((tid) => Number(tid) !== process.pid).map((tid) => {
      try {
        const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        return [tid, run + wait] as const;
      } catch {
        return [tid, 0] as const; // a thread that ended meanwhile
      }
    }));
    const before = activity();
    await new Promise((r) => setTimeout(r, 400));
    const busiest = Math.max(...[...activity()].map(([tid, ns]) => ns - (before.get(tid) ?? ns)));
    expect(busiest / 1e6).toBeLessThan(100);
  });

  it('reports a replica that cannot start', async () => {
    await expect(startReplicaThreads(mlp([784, 800, 10]), { threads: 2, loss: 'xent', arenaBytes: 1 << 20, variant: 'simd' })).rejects.toThrow(/replica thread failed to start: .*out of memory/);
  });
});
