/**
 * The core as a contender of `npm run bench -- train-cpu`, run by the bench in a process of its
 * own (scripts/bench/alone.ts); prints one JSON line.
 *
 *   tsx core.ts train <data base> <examples> <lr> <simd|relaxed|reference> <threads>
 *     trains 784-800-10 (sigmoid, softmax cross-entropy, momentum 0.9) with fit(), batch 64: a
 *     warm-up pass over 1,920 examples, then one timed shuffled pass over the first <examples>
 *     images -> {"seconds", "examples", "description"}
 *   tsx core.ts gemm <simd|relaxed> <quick 0|1>
 *     the kernels' single-core matrix-product rate on square products -> {"gflops": [per repeat]}
 */
import { fileURLToPath } from 'node:url';
import type { KernelVariant } from '../../../src/nn/backend/cpu/wasm-kernels.ts';
import { mlp } from '../../../src/nn/presets.ts';
import { fit, oneHot } from '../../../src/nn/train.ts';
import { createTraining } from '../../lib/training.ts';
import { nodeWasmBackend } from '../../lib/wasm-kernels.ts';
import { readBenchData } from './data.ts';

export const BATCH = 64;
const WARMUP_EXAMPLES = 1920;

async function train(base: string, examples: number, lr: number, kernels: KernelVariant | 'reference', threads: number): Promise<object> {
  const n = Math.floor(examples / BATCH) * BATCH;
  const { x, labels } = readBenchData(base, Math.max(n, WARMUP_EXAMPLES));
  const y = oneHot(labels, 10);
  const setup = await createTraining(mlp([784, 800, 10]), {
    threads, seed: 1, loss: 'xent', optimizer: 'momentum',
    ...(kernels === 'reference' ? { backend: 'reference' as const } : { relaxed: kernels === 'relaxed' }),
  });
  try {
    const opts = { trainer: setup.trainer, loss: 'xent' as const, optimizer: 'momentum' as const, lr, batchSize: BATCH, epochs: 1 };
    // Warm-up: the JIT's tiers, the WASM kernels' optimised code, the buffers of a batch of 64.
    const warm = kernels === 'reference' ? BATCH * 2 : WARMUP_EXAMPLES;
    await fit(setup.net, { n: warm, x: x.subarray(0, warm * 784), y: y.subarray(0, warm * 10) }, { ...opts, seed: 2 });
    const t0 = performance.now();
    const h = await fit(setup.net, { n, x: x.subarray(0, n * 784), y: y.subarray(0, n * 10) }, { ...opts, seed: 1 });
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(h.epochs[0].trainLoss)) throw new Error('training diverged');
    return { seconds, examples: n, description: setup.description };
  } finally {
    await setup.close();
  }
}

async function gemm(variant: KernelVariant, quick: boolean): Promise<object> {
  const B = await nodeWasmBackend({ variant });
  const gflops: number[] = [];
  for (let r = 0; r < 3; r++) {
    let best = 0;
    for (const n of quick ? [256] : [256, 512, 1024]) {
      const a = B.tensor([n, n], Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
      const b = B.tensor([n, n], Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5));
      const c = B.tensor([n, n]);
      for (let i = 0; i < 3; i++) B.matmul(a, b, c, false, false, false);
      const reps = Math.max(3, Math.round((quick ? 3e8 : 2e9) / (2 * n ** 3)));
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) B.matmul(a, b, c, false, false, false);
      best = Math.max(best, (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9);
      for (const t of [a, b, c]) B.dispose(t);
    }
    gflops.push(best);
  }
  return { gflops };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, ...a] = process.argv.slice(2);
  const result = mode === 'train'
    ? await train(a[0], Number(a[1]), Number(a[2]), a[3] as KernelVariant | 'reference', Number(a[4]))
    : await gemm(a[0] as KernelVariant, a[1] === '1');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
