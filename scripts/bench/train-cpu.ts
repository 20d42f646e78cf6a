import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { loadMnist } from '../lib/mnist.ts';
import { runAlone, tsxCommand, type AloneRun } from './alone.ts';
import { writeBenchData } from './peers/data.ts';
import { INSTALL_HINT, torchMissing, torchSgemmCommand, torchTrainCommand } from './peers/torch.ts';
import { fixed, int, loadText, range, spread, table, type BenchContext, type BenchSection, type Spread } from './section.ts';

/** Multiply-adds of the matrix products per training example of 784-800-10: forward, dW, dx of layer 2. */
const FLOP_PER_EXAMPLE = 2.56e6;
const LR = 0.1;
/** Images of the timed pass: one epoch of the notes' baseline measurement (30,000 images, batch 64). */
const EXAMPLES = 30_000;
const CORE = fileURLToPath(new URL('./peers/core.ts', import.meta.url));
const TFJS = fileURLToPath(new URL('./peers/tfjs.ts', import.meta.url));

interface TrainResult {
  seconds: number;
  examples: number;
}

interface Contender {
  key: string;
  name: string;
  /** Torch threads or the core's threads (for the ratios between like and like). */
  threads: number;
  command: [string, string[], NodeJS.ProcessEnv?];
  runs: Array<AloneRun<TrainResult>>;
}

export interface TrainCpuFigures {
  examplesPerRepeat: Record<string, number>;
  contenders: Array<{
    key: string;
    name: string;
    examplesPerSecond: Spread;
    gflops: number;
    runs: Array<{ examples: number; seconds: number; loadBefore: number; loadAfter: number }>;
  }>;
  ratios: Record<string, number>;
  peaks: Record<string, Spread>;
  notes: string[];
}

export const trainCpu: BenchSection = {
  name: 'train-cpu',
  description: "training the article's 784-800-10 sigmoid network (softmax cross-entropy, momentum, batch 64) on MNIST: the core against PyTorch and TensorFlow.js, each contender alone in its own process",
  run,
};

async function run(ctx: BenchContext): Promise<TrainCpuFigures> {
  const quick = ctx.quick;
  const full = quick ? 2048 : EXAMPLES;
  // The slow contenders train fewer images, so that a repeat takes seconds, not minutes.
  const slow = quick ? 128 : 1024;
  const { train } = loadMnist({ limit: full });
  const data = writeBenchData(train.pixels, train.labels);
  const notes: string[] = [];
  const relaxed = relaxedSimdSupported();
  ctx.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; Node ${process.version}; load average ${loadText()}`);
  ctx.log(`data: the first ${int(full)} MNIST training images; each repeat trains one shuffled pass over them in batches of 64 (TensorFlow.js and the TypeScript reference: over the first ${int(slow)} to ${int(quick ? 256 : 6400)}), after a warm-up`);
  ctx.log(`each contender runs alone, in a process of its own, nothing else of the bench alive; contenders alternate, ${ctx.repeats} repeat${ctx.repeats > 1 ? 's' : ''} each; median and min..max quoted`);

  const contenders: Contender[] = [];
  const core = (key: string, name: string, kernels: string, threads: number, examples: number) => contenders.push({
    key, name, threads, runs: [], command: tsxCommand(CORE, ['train', data.base, String(examples), String(LR), kernels, String(threads)]),
  });
  const variants = relaxed ? (['relaxed', 'simd'] as const) : (['simd'] as const);
  const label = (v: string) => (v === 'simd' ? 'simd128' : 'relaxed-simd (FMA)');
  for (const v of variants) for (const threads of [1, 2]) core(`core-${v}-${threads}`, `core WASM ${label(v)}, ${threads} thread${threads > 1 ? 's' : ''}`, v, threads, full);
  core('core-reference-1', 'core TypeScript reference, 1 thread', 'reference', 1, slow);
  const missing = torchMissing();
  if (missing) {
    const line = `PyTorch: not measured: ${missing}. Install it for the baseline: ${INSTALL_HINT}`;
    ctx.log(line);
    notes.push(line);
  } else {
    for (const threads of [1, 2]) {
      contenders.push({ key: `pytorch-${threads}`, name: `PyTorch (OpenBLAS), ${threads} thread${threads > 1 ? 's' : ''}`, threads, runs: [], command: torchTrainCommand(data.base, full, LR, threads) });
    }
  }
  for (const [backend, examples] of [['wasm', quick ? 256 : 6400], ['cpu', slow]] as const) {
    contenders.push({ key: `tfjs-${backend}`, name: `TensorFlow.js ${backend}`, threads: 1, runs: [], command: tsxCommand(TFJS, [data.base, String(examples), String(LR), backend]) });
  }

  try {
    for (let r = 0; r < ctx.repeats; r++) {
      for (const c of contenders) {
        const m = await runAlone<TrainResult & { version?: string }>(...c.command);
        c.runs.push(m);
        if (m.result.version && !c.name.includes(m.result.version)) c.name = c.name.replace(/^(PyTorch|TensorFlow\.js)/, `$1 ${m.result.version}`);
        ctx.log(`  repeat ${r + 1}: ${c.name.padEnd(38)} ${int(m.result.examples / m.result.seconds).padStart(7)} examples/s (${int(m.result.examples)} in ${fixed(m.result.seconds, 2)} s; load ${fixed(m.loadBefore, 2)} -> ${fixed(m.loadAfter, 2)})`);
      }
    }
  } finally {
    data.remove();
  }

  const rates = (c: Contender) => spread(c.runs.map((m) => m.result.examples / m.result.seconds));
  const rate = (key: string) => {
    const c = contenders.find((x) => x.key === key);
    return c ? rates(c).median : NaN;
  };
  const tfw = rate('tfjs-wasm');
  ctx.log();
  ctx.log(table(
    ['contender', 'examples', 'examples/s', 'min..max', 'GFLOP/s', 'x PyTorch, same threads', 'x tfjs-wasm', 'load before -> after'],
    contenders.map((c) => {
      const s = rates(c);
      const torch = rate(`pytorch-${c.threads}`);
      const loads = spread(c.runs.map((m) => m.loadBefore));
      const after = spread(c.runs.map((m) => m.loadAfter));
      return [
        c.name, int(c.runs[0]?.result.examples ?? NaN), int(s.median), range(s), fixed((s.median * FLOP_PER_EXAMPLE) / 1e9),
        c.key.startsWith('core-') || c.key.startsWith('tfjs') ? fixed(s.median / torch, 2) : '',
        fixed(s.median / tfw, 2), `${fixed(loads.median, 2)} -> ${fixed(after.median, 2)}`,
      ];
    }),
  ));

  // Ratios of medians, each contender measured alone.
  const ratios: Record<string, number> = {};
  ctx.log();
  for (const v of variants) {
    const one = rate(`core-${v}-1`);
    const two = rate(`core-${v}-2`);
    ratios[`core-${v}-2 / (2 x core-${v}-1)`] = two / (2 * one);
    ctx.log(`core WASM ${label(v)}: 2 threads give ${fixed((100 * two) / (2 * one), 0)}% of twice its 1-thread rate (${int(two)} against 2 x ${int(one)})`);
  }
  if (!missing) {
    for (const v of variants) for (const threads of [1, 2]) {
      const k = `core-${v}-${threads}`;
      ratios[`${k} / pytorch-${threads}`] = rate(k) / rate(`pytorch-${threads}`);
    }
    const best = variants[0];
    ctx.log(`core WASM ${label(best)} against PyTorch, same threads: ${fixed(ratios[`core-${best}-1 / pytorch-1`], 2)}x on 1 thread, ${fixed(ratios[`core-${best}-2 / pytorch-2`], 2)}x on 2`);
  }

  // Peaks: what one core's matrix products reach here (each in a process of its own).
  ctx.log();
  const peaks: Record<string, Spread> = {};
  for (const v of variants) {
    const m = await runAlone<{ gflops: number[] }>(...tsxCommand(CORE, ['gemm', v, quick ? '1' : '0']));
    peaks[`core-${v}`] = spread(m.result.gflops);
    ctx.log(`matrix-product rate, core WASM ${label(v)}, 1 thread: ${fixed(peaks[`core-${v}`].median)} GFLOP/s (${range(peaks[`core-${v}`], (n) => fixed(n))}; square products${quick ? ' 256' : ' 256..1024'}; load ${fixed(m.loadBefore, 2)} -> ${fixed(m.loadAfter, 2)})`);
  }
  if (!missing) {
    for (const threads of [1, 2]) {
      const m = await runAlone<{ gflops: number[] }>(...torchSgemmCommand(threads, quick));
      peaks[`openblas-${threads}`] = spread(m.result.gflops);
      ctx.log(`matrix-product rate, OpenBLAS sgemm via torch.mm, ${threads} thread${threads > 1 ? 's' : ''}: ${fixed(peaks[`openblas-${threads}`].median)} GFLOP/s (${range(peaks[`openblas-${threads}`], (n) => fixed(n))}; load ${fixed(m.loadBefore, 2)} -> ${fixed(m.loadAfter, 2)})`);
    }
  }
  for (const v of variants) for (const threads of [1, 2]) {
    const g = (rate(`core-${v}-${threads}`) * FLOP_PER_EXAMPLE) / 1e9;
    ctx.log(`core WASM ${label(v)}, ${threads} thread${threads > 1 ? 's' : ''}: training runs at ${fixed(g)} GFLOP/s, ${fixed((100 * g) / (threads * peaks[`core-${v}`].median), 0)}% of ${threads} x its 1-thread product rate`);
  }
  ctx.log(`load average after the section: ${loadText()}`);

  return {
    examplesPerRepeat: Object.fromEntries(contenders.map((c) => [c.key, c.runs[0]?.result.examples ?? 0])),
    contenders: contenders.map((c) => ({
      key: c.key, name: c.name, examplesPerSecond: rates(c), gflops: (rates(c).median * FLOP_PER_EXAMPLE) / 1e9,
      runs: c.runs.map((m) => ({ examples: m.result.examples, seconds: m.result.seconds, loadBefore: m.loadBefore, loadAfter: m.loadAfter })),
    })),
    ratios, peaks, notes,
  };
}
