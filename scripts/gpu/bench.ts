/**
 * Training throughput of the core on the CPU and WebGPU backends, in the same run, and where the
 * GPU's time goes (kernel rates, per-layer times).
 *
 *   npx tsx scripts/gpu/bench.ts [--arch mlp-sigmoid,cnn] [--device cpu,gpu] [--batch 128]
 *                                [--batches 20] [--repeats 3] [--kernels] [--layers]
 *
 * Inputs are random (throughput does not depend on the pixels). On a machine without a GPU the
 * WebGPU backend runs on llvmpipe (a CPU rasteriser) when NUTSHELL_WEBGPU_SOFTWARE=1.
 */
import { parseArgs } from 'node:util';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { parseArch } from '../../src/nn/presets.ts';
import { kernelRates, layerTimes, trainingThroughput } from './measure.ts';
import { createBackend, type DeviceName } from '../lib/device.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'mlp-sigmoid,cnn' },
      device: { type: 'string', default: 'cpu,gpu' },
      batch: { type: 'string', default: '128' },
      batches: { type: 'string', default: '20' },
      'cnn-batches': { type: 'string' },
      repeats: { type: 'string', default: '3' },
      kernels: { type: 'boolean', default: false },
      layers: { type: 'boolean', default: false },
    },
  });
  const archs = values.arch!.split(',');
  const devices = values.device!.split(',') as DeviceName[];
  const batch = Number(values.batch);
  const results = new Map<string, number>();
  for (const device of devices) {
    const choice = await createBackend(device);
    if (choice.fallback) console.log(`(${device}) ${choice.fallback}`);
    console.log(`${device}: ${choice.description}`);
    for (const arch of archs) {
      const spec = parseArch(arch);
      const batches = Number(arch === 'cnn' ? (values['cnn-batches'] ?? values.batches) : values.batches);
      const r = await trainingThroughput(choice.backend, spec, { batch, batches, repeats: Number(values.repeats) });
      results.set(`${arch}|${device}`, r.median);
      console.log(`  ${arch.padEnd(12)} batch ${batch}: ${r.median.toFixed(1)} examples/s (median of ${r.runs.map((v) => v.toFixed(1)).join(', ')})`);
    }
    if (choice.device === 'gpu' && values.kernels) {
      for (const k of await kernelRates(choice.backend as WebGpuBackend, 'small')) console.log(`  ${k.kernel.padEnd(48)} ${k.rate.padStart(16)} ${k.ms.toFixed(2).padStart(9)} ms`);
    }
    if (choice.device === 'gpu' && values.layers) {
      for (const arch of archs) {
        console.log(`  per layer, ${arch}, batch ${batch} (ms forward / backward)`);
        for (const l of await layerTimes(choice.backend as WebGpuBackend, parseArch(arch), batch, 3)) {
          console.log(`    ${l.layer.padEnd(72)} ${l.forwardMs.toFixed(2).padStart(9)} ${l.backwardMs.toFixed(2).padStart(9)}`);
        }
      }
    }
    choice.close();
  }
  if (devices.length === 2) {
    for (const arch of archs) {
      const [a, b] = devices.map((d) => results.get(`${arch}|${d}`)!);
      console.log(`${arch}: ${devices[1]} / ${devices[0]} = ${(b / a).toFixed(2)}`);
    }
  }
}

await main();
