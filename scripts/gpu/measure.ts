/**
 * Measurements of the core's training on a backend, shared by scripts/gpu/bench.ts (CPU against
 * GPU, here or anywhere) and scripts/gpu/check.ts (the device check): training throughput, kernel
 * rates and per-layer times of the WebGPU backend.
 */
import type { Backend } from '../../src/nn/backend/backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { Loss } from '../../src/nn/loss.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import { createOptimizer } from '../../src/nn/optimizers/optimizer.ts';
import { Rng } from '../../src/nn/rng.ts';
import { Trainer, oneHot } from '../../src/nn/train.ts';
import { median } from '../../src/util/stats.ts';

export interface ThroughputOptions {
  batch: number;
  batches: number;
  repeats: number;
  warmup?: number;
}

function batchData(net: Network, n: number, seed: number): { x: Float32Array; t: Float32Array } {
  const rng = new Rng(seed);
  const k = net.outputSize;
  return {
    x: Float32Array.from({ length: n * net.inputSize }, () => rng.uniform()),
    t: oneHot(Array.from({ length: n }, () => rng.int(k)), k),
  };
}

/**
 * Examples per second of SGD with momentum (the training script's default): every batch goes up
 * from the host as in `fit`, the loss comes back once per timed run. Median over `repeats`.
 */
export async function trainingThroughput(backend: Backend, spec: NetworkSpec, o: ThroughputOptions): Promise<{ median: number; runs: number[] }> {
  const net = new Network(spec, { backend, seed: 1 });
  const trainer = new Trainer(net, { loss: 'xent', optimizer: 'momentum' });
  const data = [0, 1, 2].map((s) => batchData(net, o.batch, s));
  for (let i = 0; i < (o.warmup ?? 2); i++) trainer.stepHost(data[i % 3].x, data[i % 3].t, o.batch, 0.01);
  await trainer.drain();
  const runs: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const t0 = performance.now();
    for (let b = 0; b < o.batches; b++) trainer.stepHost(data[b % 3].x, data[b % 3].t, o.batch, 0.01);
    const { loss } = await trainer.drain();
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`training diverged while timing (loss ${loss})`);
    runs.push((o.batches * o.batch) / seconds);
  }
  return { median: median(runs), runs };
}

/** Seconds of GPU work for `f`, recorded `reps` times and waited for once; median of 3. */
async function timeGpu(B: WebGpuBackend, f: () => void, reps: number): Promise<number> {
  f();
  await B.sync();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    await B.sync();
    times.push((performance.now() - t0) / 1000 / reps);
  }
  return median(times);
}

/** Rates of the main kernels: matrix products (GFLOP/s), a convolution, element-wise bandwidth. */
export async function kernelRates(B: WebGpuBackend, scale: 'small' | 'large'): Promise<Array<{ kernel: string; rate: string; ms: number }>> {
  const rng = new Rng(3);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
  const rows: Array<{ kernel: string; rate: string; ms: number }> = [];
  const reps = scale === 'large' ? 20 : 2;
  const sizes = scale === 'large' ? [1024, 2048, 4096] : [256, 512];
  for (const n of sizes) {
    const a = B.tensor([n, n], fill(n * n));
    const b = B.tensor([n, n], fill(n * n));
    const c = B.tensor([n, n]);
    for (const [ta, tb] of [[false, false], [false, true], [true, false]] as const) {
      const s = await timeGpu(B, () => B.matmul(a, b, c, ta, tb, false), reps);
      rows.push({ kernel: `matmul ${n}^3 ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`, rate: `${((2 * n ** 3) / s / 1e9).toFixed(1)} GFLOP/s`, ms: s * 1000 });
    }
    for (const t of [a, b, c]) B.dispose(t);
  }
  // The cnn preset's widest convolution (32 -> 32 channels, 3x3, 28x28) on a batch of 128.
  const n = scale === 'large' ? 128 : 8;
  const g = { n, cin: 32, h: 28, w: 28, cout: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 28, outW: 28 };
  const x = B.tensor([n, 32, 28, 28], fill(n * 32 * 784));
  const w = B.tensor([32, 32, 3, 3], fill(32 * 288));
  const y = B.tensor([n, 32, 28, 28], fill(n * 32 * 784));
  const dw = B.tensor([32, 32, 3, 3]);
  const flops = 2 * n * 784 * 32 * 288;
  for (const [name, f] of [
    ['conv2d', () => B.conv2d(x, w, y, g)],
    ['conv2dGradInput', () => B.conv2dGradInput(y, w, x, g)],
    ['conv2dGradWeight', () => B.conv2dGradWeight(x, y, dw, g)],
  ] as const) {
    const s = await timeGpu(B, f, reps);
    rows.push({ kernel: `${name} 32->32 3x3 28x28 batch ${n}`, rate: `${(flops / s / 1e9).toFixed(1)} GFLOP/s`, ms: s * 1000 });
  }
  // Which tile shape suits this GPU: the cnn's products under each (s 64x64, w 32x128, t 128x32, b 64x128).
  if (scale === 'large') {
    const d = B.tensor([n, 32, 28, 28]);
    const dense = [B.tensor([n, 3136], fill(n * 3136)), B.tensor([256, 3136], fill(256 * 3136)), B.tensor([n, 256])];
    for (const tile of ['s', 'w', 't', 'b']) {
      B.gemmTile = tile;
      const cells: string[] = [];
      for (const [name, f, fl] of [
        ['conv', () => B.conv2d(x, w, y, g), flops],
        ['dx', () => B.conv2dGradInput(y, w, d, g), flops],
        ['dw', () => B.conv2dGradWeight(x, y, dw, g), flops],
        ['dense', () => B.matmul(dense[0], dense[1], dense[2], false, true, false), 2 * n * 3136 * 256],
      ] as const) {
        const t = await timeGpu(B, f, reps);
        cells.push(`${name} ${(fl / t / 1e9).toFixed(0)}`);
      }
      rows.push({ kernel: `tile ${tile}: GFLOP/s ${cells.join(', ')}`, rate: '', ms: 0 });
    }
    B.gemmTile = null;
    for (const t of [d, ...dense]) B.dispose(t);
  }
  const m = y.size;
  const s = await timeGpu(B, () => B.mul(x, y, y), reps);
  rows.push({ kernel: `mul of ${(m / 1e6).toFixed(1)}M floats`, rate: `${((3 * 4 * m) / s / 1e9).toFixed(1)} GB/s`, ms: s * 1000 });
  const [gamma, beta, mean, invStd, rm, rv] = [1, 0, 0, 1, 0, 1].map((v) => B.tensor([32], new Array(32).fill(v)));
  const bnTime = await timeGpu(B, () => B.batchNormTrain({ x, gamma, beta, y, mean, invStd, runningMean: rm, runningVar: rv, momentum: 0.1, eps: 1e-5, inner: 784 }), reps);
  rows.push({ kernel: `batchNormTrain of ${(m / 1e6).toFixed(1)}M floats`, rate: `${((3 * 4 * m) / bnTime / 1e9).toFixed(1)} GB/s`, ms: bnTime * 1000 });
  for (const t of [x, w, y, dw, gamma, beta, mean, invStd, rm, rv]) B.dispose(t);
  return rows;
}

/** Milliseconds per layer, forward and backward, and of the optimizer update (GPU waited for after each). */
export async function layerTimes(B: WebGpuBackend, spec: NetworkSpec, batch: number, reps: number): Promise<Array<{ layer: string; forwardMs: number; backwardMs: number }>> {
  const net = new Network(spec, { backend: B, seed: 1 });
  const loss = new Loss('xent', net);
  const opt = createOptimizer('momentum', B);
  const { x, t } = batchData(net, batch, 0);
  const xt = net.inputTensor(batch);
  const tt = B.tensor([batch, net.outputSize], t);
  const lossSum = B.tensor([1]);
  B.write(xt, x);
  const fwd = net.layers.map(() => [] as number[]);
  const bwd = net.layers.map(() => [] as number[]);
  const extra = { loss: [] as number[], update: [] as number[] };
  for (let r = 0; r <= reps; r++) {
    const keep = r > 0; // the first round compiles the kernels
    let h = xt;
    for (let i = 0; i < net.layers.length; i++) {
      const t0 = performance.now();
      h = net.layers[i].forward(h, { training: true, step: r });
      await B.sync();
      if (keep) fwd[i].push(performance.now() - t0);
    }
    let t0 = performance.now();
    const { grad, from } = loss.gradient(h, tt, lossSum, 1 / batch);
    await B.sync();
    if (keep) extra.loss.push(performance.now() - t0);
    let g = grad;
    for (let i = from; i >= 0 && g; i--) {
      const t1 = performance.now();
      g = net.layers[i].backward(g, i > 0) as typeof g;
      await B.sync();
      if (keep) bwd[i].push(performance.now() - t1);
    }
    t0 = performance.now();
    opt.update(net.params().map((p) => p.param), 0.01, r + 1);
    await B.sync();
    if (keep) extra.update.push(performance.now() - t0);
  }
  return [
    ...net.layers.map((l, i) => ({ layer: `${net.names[i]} ${JSON.stringify(l.spec()).slice(0, 60)}`, forwardMs: median(fwd[i]), backwardMs: bwd[i].length ? median(bwd[i]) : 0 })),
    { layer: 'loss (fused softmax cross-entropy)', forwardMs: median(extra.loss), backwardMs: 0 },
    { layer: 'optimizer update (momentum, all parameters)', forwardMs: median(extra.update), backwardMs: 0 },
  ];
}
