import { cpus, loadavg } from 'node:os';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import { relaxedSimdSupported, type KernelVariant } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { Network } from '../../src/nn/network.ts';
import { mlp } from '../../src/nn/presets.ts';
import { oneHot, Trainer, type StepTrainer } from '../../src/nn/train.ts';
import { loadMnist } from '../lib/mnist.ts';
import { createParallelTrainer } from '../lib/parallel-trainer.ts';
import { nodeWasmBackend } from '../lib/wasm-kernels.ts';
import { LineProcess } from './peers/line-process.ts';
import { startTfjs } from './peers/tfjs.ts';
import { INSTALL_HINT, startTorch, torchAvailable, torchSgemm } from './peers/torch.ts';
import { fixed, int, median, table, type BenchContext, type BenchSection } from './section.ts';

/** Multiply-adds of the matrix products per training example of 784-800-10: forward, dW, dx of layer 2. */
const FLOP_PER_EXAMPLE = 2.56e6;
const BATCH = 64;
const LR = 0.1;

interface Contender {
  name: string;
  /** Batches per timed repeat: sized so that a repeat takes about a second. */
  batches: number;
  run(batches: number): Promise<number>;
  close?(): Promise<void> | void;
  seconds: number[];
}

export const trainCpu: BenchSection = {
  name: 'train-cpu',
  description: "training the article's 784-800-10 sigmoid network (softmax cross-entropy, momentum, batch 64) on MNIST: the core against TensorFlow.js and PyTorch",
  run,
};

async function run(ctx: BenchContext): Promise<void> {
  const relaxed = relaxedSimdSupported();
  const scale = ctx.quick ? 0.1 : 1;
  const nBatches = ctx.quick ? 40 : 300;
  const { train } = loadMnist({ limit: nBatches * BATCH });
  const x = train.pixels;
  const labels = train.labels;
  const t = oneHot(labels, 10);
  const batchX = (b: number) => x.subarray(b * BATCH * 784, (b + 1) * BATCH * 784);
  const batchT = (b: number) => t.subarray(b * BATCH * 10, (b + 1) * BATCH * 10);
  ctx.log(`data: the first ${int(nBatches * BATCH)} MNIST training images, ${nBatches} batches of ${BATCH}, cycled; ${ctx.repeats} timed repeats per contender, median quoted`);
  ctx.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  ctx.log(relaxed ? 'relaxed SIMD: available' : 'relaxed SIMD: not available in this runtime');

  // The core over host batches, as fit() feeds it.
  const coreContender = (name: string, trainer: StepTrainer, batches: number, close?: () => Promise<void>): Contender => {
    let at = 0;
    return {
      name, batches, seconds: [], close,
      async run(k) {
        const t0 = performance.now();
        for (let i = 0; i < k; i++) {
          trainer.stepHost(batchX(at), batchT(at), BATCH, LR);
          at = (at + 1) % nBatches;
        }
        const r = await trainer.drain();
        if (!Number.isFinite(r.loss)) throw new Error(`${name}: training diverged`);
        return (performance.now() - t0) / 1000;
      },
    };
  };
  const contenders: Contender[] = [];
  const variants: KernelVariant[] = relaxed ? ['simd', 'relaxed'] : ['simd'];
  const label = (v: KernelVariant) => (v === 'simd' ? 'simd128' : 'relaxed-simd (FMA)');
  for (const v of variants) {
    const net = new Network(mlp([784, 800, 10]), { backend: await nodeWasmBackend({ variant: v }), seed: 1 });
    contenders.push(coreContender(`core WASM ${label(v)}, 1 thread`, new Trainer(net, { loss: 'xent', optimizer: 'momentum' }), Math.round(200 * scale)));
  }
  for (const v of variants) {
    const p = await createParallelTrainer(mlp([784, 800, 10]), { threads: 2, seed: 1, loss: 'xent', optimizer: 'momentum', variant: v });
    contenders.push(coreContender(`core WASM ${label(v)}, 2 threads`, p.trainer, Math.round(300 * scale), p.close));
  }
  const refNet = new Network(mlp([784, 800, 10]), { backend: new CpuBackend('float32'), seed: 1 });
  contenders.push(coreContender('core TypeScript reference (before)', new Trainer(refNet, { loss: 'xent', optimizer: 'momentum' }), ctx.quick ? 2 : 8));

  // The peers, each in its own process.
  const data = LineProcess.writeData(x, labels);
  const peer = (name: string, p: LineProcess, batches: number): Contender => ({ name, batches, seconds: [], run: (k) => p.run(k), close: () => p.close() });
  let torch = false;
  try {
    if (torchAvailable()) {
      for (const threads of [1, 2]) {
        const p = await startTorch(data.base, labels.length, LR, threads);
        contenders.push(peer(`PyTorch ${p.info.version} (OpenBLAS), ${p.info.threads} thread${p.info.threads > 1 ? 's' : ''}`, p, Math.round(400 * scale)));
      }
      torch = true;
    } else {
      ctx.log(`PyTorch baseline: skipped (no torch for /usr/bin/python3); add it with: ${INSTALL_HINT}`);
    }
    for (const [backend, batches] of [['wasm', ctx.quick ? 3 : 20], ['cpu', ctx.quick ? 1 : 5]] as const) {
      const p = await startTfjs(backend, data.base, labels.length, LR);
      contenders.push(peer(`TensorFlow.js ${p.info.version} ${backend}`, p, batches));
    }

    // Every contender's repeats interleaved, so that a busy spell of the machine hits all of them alike.
    for (const c of contenders) await c.run(Math.max(2, Math.round(c.batches / 5)));
    for (let r = 0; r < ctx.repeats; r++) for (const c of contenders) c.seconds.push(await c.run(c.batches));
  } finally {
    for (const c of contenders) await c.close?.();
    data.remove();
  }

  const all = contenders;
  const rate = (c: Contender) => (c.batches * BATCH) / median(c.seconds);
  const byName = (prefix: string) => all.find((c) => c.name.startsWith(prefix));
  const tfw = all.find((c) => c.name.startsWith('TensorFlow.js') && c.name.endsWith(' wasm'))!;
  // PyTorch's faster configuration is the baseline of the ratios.
  const pts = all.filter((c) => c.name.startsWith('PyTorch'));
  const pt = pts.length ? pts.reduce((a, b) => (rate(b) > rate(a) ? b : a)) : undefined;
  ctx.log();
  ctx.log(table(
    ['contender', 'batches', 'examples/s', 'min..max', 'GFLOP/s', 'x tfjs-wasm', 'x PyTorch'],
    all.map((c) => {
      const rates = c.seconds.map((s) => (c.batches * BATCH) / s);
      return [
        c.name, String(c.batches), int(rate(c)), `${int(Math.min(...rates))}..${int(Math.max(...rates))}`,
        fixed((rate(c) * FLOP_PER_EXAMPLE) / 1e9), fixed(rate(c) / rate(tfw), 2), pt ? fixed(rate(c) / rate(pt), 2) : '-',
      ];
    }),
  ));

  // Peaks: what a core's matrix products can reach here.
  ctx.log();
  const peaks: Record<string, number> = {};
  for (const v of variants) peaks[v] = await gemmPeak(v, ctx.quick);
  for (const v of variants) ctx.log(`matrix-product peak, core WASM ${label(v)}: ${fixed(peaks[v])} GFLOP/s on one core (best of square products 256..1024)`);
  let blas1 = NaN;
  let blas2 = NaN;
  if (torch) {
    blas1 = torchSgemm(1).gflops;
    blas2 = torchSgemm(2).gflops;
    ctx.log(`matrix-product peak, OpenBLAS sgemm (via torch.mm): ${fixed(blas1)} GFLOP/s on one core, ${fixed(blas2)} on two`);
    if (blas1 < 30) ctx.log(`  (that is the reference BLAS's speed: install libopenblas0-pthread for a fair baseline)`);
  }
  for (const c of contenders.filter((c) => c.name.startsWith('core WASM'))) {
    const v: KernelVariant = c.name.includes('relaxed') ? 'relaxed' : 'simd';
    const cores = c.name.includes('2 threads') ? 2 : 1;
    const g = (rate(c) * FLOP_PER_EXAMPLE) / 1e9;
    ctx.log(`${c.name}: ${fixed(g)} GFLOP/s = ${fixed((100 * g) / (cores * peaks[v]), 0)}% of ${cores} x its own peak${torch ? `, ${fixed((100 * g) / (cores === 1 ? blas1 : blas2), 0)}% of OpenBLAS's` : ''}`);
  }

  // The core's best configuration against each peer.
  ctx.log();
  const core = all.filter((c) => c.name.startsWith('core WASM'));
  const best = core.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  ctx.log(`${best.name}: ${fixed(rate(best) / rate(tfw), 1)}x tfjs-wasm; ${pt ? `${fixed(rate(best) / rate(pt), 2)}x PyTorch (its faster run, ${pt.name.replace(/^PyTorch \S+ /, '')})` : `PyTorch not measured (${INSTALL_HINT})`}`);
  ctx.log(`load average after the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (other work on the machine slows the 2-thread runs most)`);
}

/** The best GFLOP/s of the core's gemm on one core, over square sizes. */
async function gemmPeak(variant: KernelVariant, quick: boolean): Promise<number> {
  const B = await nodeWasmBackend({ variant });
  let best = 0;
  for (const n of quick ? [256] : [256, 512, 1024]) {
    const a = B.tensor([n, n]);
    const b = B.tensor([n, n]);
    const c = B.tensor([n, n]);
    B.write(a, Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
    B.write(b, Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5));
    for (let i = 0; i < 5; i++) B.matmul(a, b, c, false, false, false);
    const reps = Math.max(3, Math.round(3e9 / (2 * n ** 3)));
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) B.matmul(a, b, c, false, false, false);
      best = Math.max(best, (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9);
    }
  }
  return best;
}
