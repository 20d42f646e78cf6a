import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAIN_CPU_BUDGET_MS, TRAIN_FLOPS_PER_CPU_MS } from '../../functions/limits.ts';
import { KERNEL_DIR } from '../lib/build-wasm.ts';
import { fixed, int, loadAverage, loadText, range, spread, table, type BenchContext, type BenchSection } from './section.ts';

/**
 * The rate that converts TRAIN_CPU_BUDGET_MS into example passes, measured where the trainer runs:
 * inside workerd (Miniflare), with the WASM kernels imported as a compiled module, fine-tuning as
 * the trainer does (src/online plan.ts planFineTune: batches of 32, half new and half replayed),
 * every layer training (the rate of a whole network's passes). workerd's clock stands still while a request computes, so each request
 * is timed from Node: the time of N passes less the time of N/4 cancels the request's fixed cost.
 * The models are measured one after another (workerd runs one request at a time), each repeated:
 * median, min..max and the load average before and after each model.
 */
export const trainWorkerd: BenchSection = {
  name: 'train-workerd',
  description: 'online fine-tuning inside workerd (the trainer Durable Object\'s code path): example passes per second and effective GFLOP/s, per model',
  run,
};

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = `
import simd from './nn-simd.wasm';
import relaxed from './nn-relaxed.wasm';
import digits from './digits.onnx';
import { createCpuBackend } from '${ROOT}src/nn/backend/cpu/create.ts';
import { relaxedSimdSupported } from '${ROOT}src/nn/backend/cpu/wasm-kernels.ts';
import { Network } from '${ROOT}src/nn/network.ts';
import { parseArch } from '${ROOT}src/nn/presets.ts';
import { Rng } from '${ROOT}src/nn/rng.ts';
import { importOnnx } from '${ROOT}src/onnx/import.ts';
import { fineTune, ReplayBuffer, trainingFlopsPerExample } from '${ROOT}src/online/index.ts';
import { planFineTune } from '${ROOT}src/online/plan.ts';

const models = new Map();
async function model(name) {
  if (models.has(name)) return models.get(name);
  const backend = await createCpuBackend({ wasm: relaxedSimdSupported() ? relaxed : simd });
  const network = name === 'bundled'
    ? (await importOnnx(new Uint8Array(digits), { backend })).network
    : new Network(parseArch(name), { backend, seed: 1 });
  const rng = new Rng(7);
  const example = (label) => ({ label, pixels: Uint8Array.from({ length: 784 }, () => rng.int(256)) });
  const m = { network, fresh: Array.from({ length: 100 }, (_, i) => example(i % 10)), replay: ReplayBuffer.seed(Array.from({ length: 1000 }, (_, i) => example(i % 10)), 100) };
  models.set(name, m);
  return m;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const m = await model(url.searchParams.get('model'));
    const passes = Number(url.searchParams.get('passes'));
    const r = passes ? await fineTune(m.network, m.fresh, m.replay, { ...planFineTune(m.network), trainFrom: 0, epochs: 1e6, maxExamplePasses: passes, seed: 3 }) : { examplePasses: 0 };
    return Response.json({ passes: r.examplePasses, flops: trainingFlopsPerExample(m.network), relaxed: relaxedSimdSupported(), spec: m.network.spec().layers.length });
  },
};`;

const MODELS: Array<{ name: string; label: string }> = [
  { name: 'bundled', label: 'the bundled model (models/digits.onnx)' },
  { name: 'lenet5', label: 'lenet5 preset' },
  { name: 'cnn', label: 'cnn preset (conv 32-32-64-64, BN)' },
];

async function run(ctx: BenchContext): Promise<unknown> {
  const bundle = await build({
    stdin: { contents: WORKER, loader: 'js', resolveDir: ROOT },
    bundle: true, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'import'],
    external: ['*.wasm', '*.onnx'], write: false, logLevel: 'error',
  });
  const mf = new Miniflare({
    compatibilityDate: '2026-04-20',
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: bundle.outputFiles[0].text },
      { type: 'CompiledWasm', path: 'nn-simd.wasm', contents: readFileSync(join(KERNEL_DIR, 'nn-simd.wasm')) },
      { type: 'CompiledWasm', path: 'nn-relaxed.wasm', contents: readFileSync(join(KERNEL_DIR, 'nn-relaxed.wasm')) },
      { type: 'Data', path: 'digits.onnx', contents: readFileSync(join(ROOT, 'models/digits.onnx')) },
    ],
  });
  try {
    ctx.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; load average ${loadText()}; ${ctx.repeats} timed repeats per model, median and min..max quoted`);
    const call = async (model: string, passes: number) => {
      const t0 = performance.now();
      const res = await mf.dispatchFetch(`http://bench/?model=${model}&passes=${passes}`);
      const body = (await res.json()) as { passes: number; flops: number; relaxed: boolean };
      return { ms: performance.now() - t0, ...body };
    };
    const rows: string[][] = [];
    const figures: Array<{ model: string; mflopPerPass: number; passesPerSecond: ReturnType<typeof spread>; gflops: number; loadBefore: number; loadAfter: number }> = [];
    let lowest = Infinity;
    for (const m of MODELS) {
      const loadBefore = loadAverage()[0];
      const warm = await call(m.name, 64);
      // About 1 s of work per timed request (0.2 s in --quick).
      const probe = await call(m.name, 256);
      const perPass = Math.max(1e-3, (probe.ms - (await call(m.name, 0)).ms) / Math.max(1, probe.passes));
      const n = Math.max(128, Math.round(((ctx.quick ? 200 : 1000) / perPass) / 32) * 32);
      const rates: number[] = [];
      for (let r = 0; r < ctx.repeats; r++) {
        const big = await call(m.name, n);
        const small = await call(m.name, n / 4);
        rates.push((big.passes - small.passes) / (big.ms - small.ms)); // passes per ms
      }
      const perSecond = spread(rates.map((r) => r * 1000));
      const passesPerMs = perSecond.median / 1000;
      const flopsPerMs = passesPerMs * warm.flops;
      const loadAfter = loadAverage()[0];
      lowest = Math.min(lowest, flopsPerMs);
      figures.push({ model: m.name, mflopPerPass: warm.flops / 1e6, passesPerSecond: perSecond, gflops: flopsPerMs / 1e6, loadBefore, loadAfter });
      rows.push([
        m.label, fixed(warm.flops / 1e6, 2), int(perSecond.median), range(perSecond), fixed(flopsPerMs / 1e6, 1),
        int(Math.floor((DEFAULT_TRAIN_CPU_BUDGET_MS * TRAIN_FLOPS_PER_CPU_MS) / warm.flops)), int(DEFAULT_TRAIN_CPU_BUDGET_MS * passesPerMs),
        `${fixed(loadBefore, 2)} -> ${fixed(loadAfter, 2)}`,
      ]);
      if (m === MODELS[0]) ctx.log(`kernels: ${warm.relaxed ? 'relaxed SIMD (fused multiply-add)' : '128-bit SIMD'}`);
    }
    ctx.log(table(['model', 'MFLOP/pass', 'passes/s', 'min..max', 'GFLOP/s', `passes in ${DEFAULT_TRAIN_CPU_BUDGET_MS} ms (set rate)`, '(measured rate)', 'load before -> after'], rows));
    ctx.log(`lowest effective rate: ${fixed(lowest / 1e6, 1)} GFLOP/s; functions/limits.ts TRAIN_FLOPS_PER_CPU_MS converts at ${fixed(TRAIN_FLOPS_PER_CPU_MS / 1e6, 1)} GFLOP/s`);
    return { models: figures, lowestGflops: lowest / 1e6, setGflops: TRAIN_FLOPS_PER_CPU_MS / 1e6 };
  } finally {
    await mf.dispose();
  }
}
