/**
 * Every layer type, forward and backward through a whole Network: the same spec, seed (hence
 * weights) and batch on the CPU and WebGPU backends give the same outputs, loss, parameter
 * gradients and batch-norm statistics.
 *
 * Tolerance: max |gpu - cpu| / max |cpu| <= 1e-4 for every tensor. Each layer adds float32
 * rounding of its own (products of up to a few hundred terms, summed in different orders), and
 * gradients go through every layer twice; the worst errors seen on llvmpipe are 1e-7 to 1.1e-6. A wrong index,
 * a dropped unit or a missing term is an error of order 1. A gradient that is zero in exact
 * arithmetic (a convolution's bias under batch norm) is rounding noise on both sides: there the
 * WebGPU gradient must be as small as the CPU's, under 1e-3 of the network's largest gradient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import type { LayerSpec } from '../../src/nn/layers/layer.ts';
import { Loss, type LossName } from '../../src/nn/loss.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import { Rng } from '../../src/nn/rng.ts';
import { oneHot } from '../../src/nn/train.ts';
import { gpuBackend, random, relError } from './helpers.ts';

const TOLERANCE = 1e-4;

let G: WebGpuBackend;
beforeAll(async () => {
  G = await gpuBackend();
});
afterAll(() => G?.destroy());

interface Pass {
  output: Float32Array;
  loss: number;
  tensors: Map<string, Float32Array>;
}

/** One training-mode forward and backward pass, and what it produced. */
async function pass(B: Backend, spec: NetworkSpec, loss: LossName, x: Float32Array, t: Float32Array, n: number, step: number): Promise<Pass> {
  const net = new Network(spec, { backend: B, seed: 11 });
  const xt = net.inputTensor(n);
  B.write(xt, x);
  const tt = B.tensor([n, net.outputSize], t);
  const lossSum = B.tensor([1]);
  const y = net.forward(xt, { training: true, step });
  const { grad, from } = new Loss(loss, net).gradient(y, tt, lossSum, 1 / n);
  net.backward(grad, from);
  const tensors = new Map<string, Float32Array>();
  for (const { name, param } of net.params()) {
    tensors.set(`${name}.grad`, Float32Array.from(await B.read(param.grad)));
    tensors.set(name, Float32Array.from(await B.read(param.value)));
  }
  for (const { name, state } of net.state()) tensors.set(name, Float32Array.from(await B.read(state.value)));
  const output = Float32Array.from(await B.read(y));
  // Inference mode too (dropout off, batch norm on running statistics).
  tensors.set('inference output', Float32Array.from(await B.read(net.forward(xt))));
  return { output, loss: (await B.read(lossSum))[0], tensors };
}

async function compare(spec: NetworkSpec, loss: LossName, opts: { n?: number; targets?: 'onehot' | 'binary' | 'real'; step?: number } = {}): Promise<number> {
  const rng = new Rng(3);
  const n = opts.n ?? 8;
  const inSize = spec.input.reduce((a, b) => a * b, 1);
  const probe = new Network(spec, { seed: 11 });
  const k = probe.outputSize;
  const x = random(rng, n * inSize);
  const kind = opts.targets ?? 'onehot';
  const t =
    kind === 'onehot'
      ? oneHot(Array.from({ length: n }, () => rng.int(k)), k)
      : Float32Array.from({ length: n * k }, () => (kind === 'binary' ? (rng.uniform() < 0.4 ? 1 : 0) : rng.uniform()));
  const c = await pass(new CpuBackend('float32'), spec, loss, x, t, n, opts.step ?? 0);
  const g = await pass(G, spec, loss, x, t, n, opts.step ?? 0);
  let worst = relError(g.output, c.output);
  expect(worst, 'output').toBeLessThanOrEqual(TOLERANCE);
  expect(Math.abs(g.loss - c.loss) / Math.abs(c.loss), 'loss').toBeLessThanOrEqual(TOLERANCE);
  expect([...g.tensors.keys()]).toEqual([...c.tensors.keys()]);
  let gradScale = 0;
  for (const [name, cv] of c.tensors) if (name.endsWith('.grad')) for (const v of cv) gradScale = Math.max(gradScale, Math.abs(v));
  for (const [name, cv] of c.tensors) {
    const gv = g.tensors.get(name)!;
    const e = relError(gv, cv);
    const own = cv.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (name.endsWith('.grad') && own < 1e-3 * gradScale) {
      const noise = gv.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(noise, `${name} (zero in exact arithmetic)`).toBeLessThanOrEqual(1e-3 * gradScale);
      continue;
    }
    expect(e, name).toBeLessThanOrEqual(TOLERANCE);
    worst = Math.max(worst, e);
  }
  return worst;
}

const dense = (units: number): LayerSpec => ({ type: 'dense', units });
const act = (fn: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ type: 'activation', fn });

describe('every layer type agrees with the CPU backend, forward and backward', () => {
  it("dense layers with sigmoid units (the article's network, small)", async () => {
    await compare({ input: [30], layers: [dense(40), act('sigmoid'), dense(10), act('softmax')] }, 'xent');
  });

  it('a dense layer with limited connectivity (mask)', async () => {
    const mask = Array.from({ length: 12 * 30 }, (_, i) => (i % 3 === 1 ? 0 : 1));
    const worst = await compare({ input: [30], layers: [{ type: 'dense', units: 12, mask }, act('tanh'), dense(4), act('softmax')] }, 'xent');
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  for (const fn of ['linear', 'sigmoid', 'tanh', 'relu'] as const) {
    it(`${fn} hidden units`, async () => {
      await compare({ input: [12], layers: [dense(16), act(fn), dense(9), act(fn), dense(5), act('softmax')] }, 'xent');
    });
  }

  it('softmax output under squared error (the softmax gradient itself)', async () => {
    await compare({ input: [12], layers: [dense(16), act('tanh'), dense(6), act('softmax')] }, 'mse');
  });

  it('independent sigmoid outputs with binary cross-entropy (multi-label)', async () => {
    await compare({ input: [12], layers: [dense(16), act('relu'), dense(6), act('sigmoid')] }, 'xent', { targets: 'binary' });
  });

  it('linear output under squared error (regression)', async () => {
    await compare({ input: [12], layers: [dense(16), act('relu'), dense(3)] }, 'mse', { targets: 'real' });
  });

  it('dropout: the same units dropped at the same step', async () => {
    const spec = { input: [20], layers: [dense(64), act('relu'), { type: 'dropout', rate: 0.5 } as LayerSpec, dense(5), act('softmax')] };
    await compare(spec, 'xent', { step: 0 });
    await compare(spec, 'xent', { step: 17 });
  });

  it('conv2d with stride and padding, flatten', async () => {
    await compare(
      {
        input: [2, 9, 9],
        layers: [
          { type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 1 }, act('relu'),
          { type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }, act('tanh'),
          { type: 'conv2d', filters: 5, kernel: 2 },
          { type: 'flatten' }, dense(6), act('softmax'),
        ],
      },
      'xent',
    );
  });

  it('max and average pooling', async () => {
    await compare(
      {
        input: [1, 12, 12],
        layers: [
          { type: 'conv2d', filters: 6, kernel: 3, padding: 1 }, act('relu'),
          { type: 'maxpool', size: 2 },
          { type: 'conv2d', filters: 4, kernel: 3, padding: 1 }, act('relu'),
          { type: 'maxpool', size: 3, stride: 1 },
          { type: 'avgpool', size: 2 },
          { type: 'flatten' }, dense(5), act('softmax'),
        ],
      },
      'xent',
    );
  });

  it('batch normalisation over images and over dense units (statistics, running averages, inference)', async () => {
    await compare(
      {
        input: [3, 8, 8],
        layers: [
          { type: 'conv2d', filters: 8, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, act('relu'),
          { type: 'avgpool', size: 2 },
          { type: 'flatten' }, dense(20), { type: 'batchnorm', momentum: 0.3 }, act('relu'),
          dense(5), act('softmax'),
        ],
      },
      'xent',
      { n: 16 },
    );
  });
});
