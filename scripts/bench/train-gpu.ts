import { parseArch } from '../../src/nn/presets.ts';
import { trainingThroughput } from '../gpu-measure.ts';
import { createBackend } from '../lib/device.ts';
import { fixed, int, table, type BenchContext, type BenchSection } from './section.ts';

/**
 * `npm run bench -- train-gpu`: examples/s of training the cnn preset and the 784-800-10 MLP on the
 * WebGPU backend against the CPU backend (WASM kernels, one thread), in the same run, batch 128.
 * Without a GPU it says so and measures nothing on the GPU, unless NUTSHELL_WEBGPU_SOFTWARE=1 asks
 * for Mesa's llvmpipe (a CPU rasteriser: correct, and slow).
 */
export const trainGpu: BenchSection = {
  name: 'train-gpu',
  description: 'training the cnn preset and the 784-800-10 MLP on WebGPU against the CPU backend (batch 128)',
  run,
};

const BATCH = 128;

async function run(ctx: BenchContext): Promise<void> {
  const gpu = await createBackend('gpu');
  const cpu = await createBackend('cpu');
  try {
    if (gpu.device !== 'gpu') {
      ctx.log(`no GPU here: ${gpu.fallback}`);
      ctx.log('(the device check, scripts/gpu-device-run.sh, measures a real GPU against PyTorch CUDA: see the README)');
    } else {
      ctx.log(`gpu: ${gpu.description}`);
    }
    ctx.log(`cpu: ${cpu.description}`);
    const rows: string[][] = [];
    for (const arch of ['mlp-sigmoid', 'cnn']) {
      const spec = parseArch(arch);
      // Few batches on a CPU for the cnn (about 115 MFLOP per example); more on a real GPU.
      const cpuBatches = arch === 'cnn' ? (ctx.quick ? 1 : 3) : ctx.quick ? 5 : 30;
      const c = await trainingThroughput(cpu.backend, spec, { batch: BATCH, batches: cpuBatches, repeats: ctx.repeats });
      let g: number = NaN;
      if (gpu.device === 'gpu') {
        const software = /llvmpipe|swiftshader|software/i.test(gpu.description);
        const gpuBatches = software ? cpuBatches : arch === 'cnn' ? 100 : 300;
        g = (await trainingThroughput(gpu.backend, spec, { batch: BATCH, batches: gpuBatches, repeats: ctx.repeats })).median;
      }
      rows.push([arch, int(c.median), Number.isFinite(g) ? int(g) : '-', Number.isFinite(g) ? fixed(g / c.median, 2) : '-']);
    }
    ctx.log(table(['network', 'cpu ex/s', 'gpu ex/s', 'gpu / cpu'], rows));
  } finally {
    await gpu.close();
    await cpu.close();
  }
}
