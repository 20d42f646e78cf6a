import { fileURLToPath } from 'node:url';
import { runAlone, tsxCommand, type AloneRun } from './alone.ts';
import { fixed, int, loadText, range, spread, table, type BenchContext, type BenchSection, type Spread } from './section.ts';

/**
 * `npm run bench -- train-gpu`: examples/s of training the cnn preset and the 784-800-10 MLP on the
 * WebGPU backend and on the CPU backend (WASM kernels, one thread), batch 128. Each measurement is
 * a process of its own (nothing else of the bench alive), contenders alternating, repeated.
 * Without a GPU it says so and measures the CPU only, unless NUTSHELL_WEBGPU_SOFTWARE=1 asks for
 * Mesa's llvmpipe (a CPU rasteriser: correct, and slow).
 */
export const trainGpu: BenchSection = {
  name: 'train-gpu',
  description: 'training the cnn preset and the 784-800-10 MLP on WebGPU against the CPU backend (batch 128), each alone in its own process',
  run,
};

const BATCH = 128;
const CHILD = fileURLToPath(new URL('./peers/backend-train.ts', import.meta.url));

interface Result {
  examplesPerSecond?: number;
  fallback?: string;
  description: string;
}

async function run(ctx: BenchContext): Promise<unknown> {
  ctx.log(`load average ${loadText()}; ${ctx.repeats} repeat${ctx.repeats > 1 ? 's' : ''} per contender, each alone in a process of its own; median and min..max quoted`);
  const probe = await runAlone<Result>(...tsxCommand(CHILD, ['gpu', 'mlp-sigmoid', String(BATCH), '1']));
  const software = /llvmpipe|swiftshader|software/i.test(probe.result.description);
  if (probe.result.fallback) {
    ctx.log(`no GPU here: ${probe.result.fallback}`);
    ctx.log('(the device check, scripts/gpu/device-run.sh, measures a real GPU against PyTorch CUDA: see the README)');
  } else {
    ctx.log(`gpu: ${probe.result.description}`);
  }
  const devices = probe.result.fallback ? (['cpu'] as const) : (['cpu', 'gpu'] as const);
  const figures: Array<{ arch: string; device: string; batches: number; examplesPerSecond: Spread; runs: Array<AloneRun<Result>> }> = [];
  for (const arch of ['mlp-sigmoid', 'cnn']) {
    // Few batches on a CPU for the cnn (about 115 MFLOP per example); more on a real GPU.
    const cpuBatches = arch === 'cnn' ? (ctx.quick ? 1 : 3) : ctx.quick ? 5 : 30;
    const gpuBatches = software ? cpuBatches : arch === 'cnn' ? 100 : 300;
    const rows = devices.map((device) => ({ arch, device, batches: device === 'cpu' ? cpuBatches : gpuBatches, runs: [] as Array<AloneRun<Result>> }));
    for (let r = 0; r < ctx.repeats; r++) {
      for (const row of rows) {
        const m = await runAlone<Result>(...tsxCommand(CHILD, [row.device, arch, String(BATCH), String(row.batches)]));
        if (m.result.examplesPerSecond === undefined) throw new Error(`${row.device}: ${m.result.fallback}`);
        row.runs.push(m);
        ctx.log(`  repeat ${r + 1}: ${arch} on ${row.device}: ${int(m.result.examplesPerSecond)} examples/s (load ${fixed(m.loadBefore, 2)} -> ${fixed(m.loadAfter, 2)})`);
      }
    }
    for (const row of rows) figures.push({ ...row, examplesPerSecond: spread(row.runs.map((m) => m.result.examplesPerSecond!)) });
  }
  if (figures[0]) ctx.log(figures[0].runs[0].result.description);
  ctx.log(table(
    ['network', 'device', 'examples/s', 'min..max', 'gpu / cpu', 'load before -> after'],
    figures.map((f) => {
      const cpu = figures.find((g) => g.arch === f.arch && g.device === 'cpu')!;
      return [
        f.arch, f.device, int(f.examplesPerSecond.median), range(f.examplesPerSecond),
        f.device === 'gpu' ? fixed(f.examplesPerSecond.median / cpu.examplesPerSecond.median, 2) : '',
        `${fixed(spread(f.runs.map((m) => m.loadBefore)).median, 2)} -> ${fixed(spread(f.runs.map((m) => m.loadAfter)).median, 2)}`,
      ];
    }),
  ));
  return {
    gpu: probe.result.fallback ? null : probe.result.description,
    rows: figures.map(({ arch, device, batches, examplesPerSecond, runs }) => ({
      arch, device, batch: BATCH, batches, examplesPerSecond, runs: runs.map((m) => ({ examplesPerSecond: m.result.examplesPerSecond, loadBefore: m.loadBefore, loadAfter: m.loadAfter })),
    })),
  };
}
