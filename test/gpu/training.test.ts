/**
 * A few training steps of a small convolutional network with each optimizer: the weights on the
 * WebGPU backend follow the CPU's within max |gpu - cpu| / max |cpu| <= 1e-4 per tensor (the
 * per-pass tolerance of network.test.ts; five steps do not compound it noticeably, as weights move
 * by small steps). Also: training keeps its data on the GPU, with one queue submission per step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import type { OptimizerName } from '../../src/nn/optimizers/optimizer.ts';
import { Rng } from '../../src/nn/rng.ts';
import { Trainer, evaluate, oneHot } from '../../src/nn/train.ts';
import { gpuBackend, random, relError } from './helpers.ts';

const SPEC: NetworkSpec = {
  input: [1, 10, 10],
  layers: [
    // Batch norm after the non-linearity: right after a convolution it would cancel the bias, whose
    // gradient would then be rounding noise, which Adam scales up to full-size steps on any backend.
    { type: 'conv2d', filters: 6, kernel: 3, padding: 'same' }, { type: 'activation', fn: 'relu' }, { type: 'batchnorm' },
    { type: 'maxpool', size: 2 },
    { type: 'conv2d', filters: 8, kernel: 3, stride: 2, padding: 1 }, { type: 'activation', fn: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 24 }, { type: 'activation', fn: 'tanh' }, { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 4 }, { type: 'activation', fn: 'softmax' },
  ],
};
const N = 12;
const STEPS = 5;

let G: WebGpuBackend;
beforeAll(async () => {
  G = await gpuBackend();
});
afterAll(() => G?.destroy());

async function train(B: Backend, optimizer: OptimizerName) {
  const net = new Network(SPEC, { backend: B, seed: 5 });
  const trainer = new Trainer(net, {
    loss: 'xent', optimizer,
    optimizerOptions: { weightDecay: 1e-3, momentum: 0.9, nesterov: optimizer === 'momentum' },
  });
  const rng = new Rng(9);
  for (let s = 0; s < STEPS; s++) {
    const x = random(rng, N * 100);
    const t = oneHot(Array.from({ length: N }, () => rng.int(4)), 4);
    trainer.stepHost(x, t, N, optimizer === 'adam' ? 0.01 : 0.1);
  }
  const drained = await trainer.drain();
  // Inference mode on a set that does not divide into the batch size (a partial last batch).
  const n = 30;
  const test = { n, x: random(rng, n * 100), y: oneHot(Array.from({ length: n }, () => rng.int(4)), 4) };
  return { drained, evaluated: await evaluate(net, test, 'xent', 8), weights: await net.weights() };
}

describe('training steps agree with the CPU backend', () => {
  for (const optimizer of ['sgd', 'momentum', 'adam'] as const) {
    it(optimizer, async () => {
      const c = await train(new CpuBackend('float32'), optimizer);
      const g = await train(G, optimizer);
      expect(g.weights.map((w) => w.name)).toEqual(c.weights.map((w) => w.name));
      c.weights.forEach((cw, i) => {
        expect(relError(g.weights[i].data, cw.data), cw.name).toBeLessThanOrEqual(1e-4);
      });
      // The weights moved: the comparison is not of two untouched initialisations.
      const before = await new Network(SPEC, { seed: 5 }).weights();
      expect(relError(c.weights[0].data, before[0].data)).toBeGreaterThan(1e-3);
      expect(Math.abs(g.drained.loss - c.drained.loss) / c.drained.loss).toBeLessThanOrEqual(1e-4);
      expect(g.drained.accuracy).toBe(c.drained.accuracy);
      expect(Math.abs(g.evaluated.loss - c.evaluated.loss) / c.evaluated.loss).toBeLessThanOrEqual(1e-4);
      expect(g.evaluated.accuracy).toBe(c.evaluated.accuracy);
    });
  }

  it('records a whole step and submits it once: parameters, gradients and optimizer state stay on the GPU', async () => {
    const net = new Network(SPEC, { backend: G, seed: 5 });
    const trainer = new Trainer(net, { loss: 'xent', optimizer: 'adam' });
    const rng = new Rng(1);
    const x = random(rng, N * 100);
    const t = oneHot(Array.from({ length: N }, () => rng.int(4)), 4);
    trainer.stepHost(x, t, N, 0.01); // compiles the kernels
    await G.sync();
    const before = { ...G.runtime.counters };
    for (let s = 0; s < 10; s++) trainer.stepHost(x, t, N, 0.01);
    await G.sync();
    const submits = G.runtime.counters.submits - before.submits;
    const dispatches = G.runtime.counters.dispatches - before.dispatches;
    // Uploading a batch flushes the previous step: one submission per step (+1 for the sync).
    expect(submits).toBeLessThanOrEqual(11);
    expect(dispatches / 10).toBeGreaterThan(20);
  });
});
