/**
 * The Node half of the device check (scripts/gpu/check.sh runs it from a bundle): on a machine with
 * a real GPU, through Dawn's Vulkan backend,
 *   1. checks that the WebGPU kernels agree with the CPU backend there (the CI tests run them on
 *      llvmpipe only): a few products and a forward + backward pass of the network;
 *   2. times training (examples/s, median of repeats) of the network and of the 784-800-10 MLP;
 *   3. prints kernel rates (matrix products in GFLOP/s, convolutions, bandwidth) and per-layer times,
 *      so that one run shows where the time goes;
 *   4. writes the network's spec and the figures as JSON for the PyTorch side and the summary.
 *
 *   node gpu-check.mjs --arch cnn --batch 128 --batches 100 --out results.json
 * (with DAWN_NODE=/path/to/dawn.node when the `webgpu` package is not installed)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { Loss } from '../../src/nn/loss.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import { parseArch } from '../../src/nn/presets.ts';
import { Rng } from '../../src/nn/rng.ts';
import { oneHot } from '../../src/nn/train.ts';
import { kernelRates, layerTimes, trainingThroughput } from './measure.ts';
import { createBackend } from '../lib/device.ts';

const TOLERANCE = 1e-4;

function relError(g: ArrayLike<number>, c: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < c.length; i++) {
    err = Math.max(err, Math.abs(g[i] - c[i]));
    scale = Math.max(scale, Math.abs(c[i]));
  }
  return Number.isNaN(err) ? NaN : err / Math.max(scale, 1e-30);
}

/** Forward and backward of `spec` on both backends; the worst relative error over every tensor. */
async function agreement(gpu: Backend, spec: NetworkSpec, n: number): Promise<{ worst: number; where: string }> {
  const rng = new Rng(2);
  const probe = new Network(spec, { seed: 4 });
  const x = Float32Array.from({ length: n * probe.inputSize }, () => rng.uniform());
  const t = oneHot(Array.from({ length: n }, (_, i) => i % probe.outputSize), probe.outputSize);
  const run = async (B: Backend) => {
    const net = new Network(spec, { backend: B, seed: 4 });
    const xt = net.inputTensor(n);
    B.write(xt, x);
    const y = net.forward(xt, { training: true, step: 3 });
    const { grad, from } = new Loss('xent', net).gradient(y, B.tensor([n, net.outputSize], t), B.tensor([1]), 1 / n);
    net.backward(grad, from);
    const out = new Map<string, Float32Array>([['output', Float32Array.from(await B.read(y))]]);
    for (const { name, param } of net.params()) out.set(`${name}.grad`, Float32Array.from(await B.read(param.grad)));
    for (const { name, state } of net.state()) out.set(name, Float32Array.from(await B.read(state.value)));
    return out;
  };
  const c = await run(new CpuBackend('float32'));
  const g = await run(gpu);
  let worst = 0;
  let where = '';
  // A bias right before batch norm has a zero gradient in exact arithmetic: compare it at the
  // scale of the network's gradients, not its own rounding noise.
  let gradScale = 0;
  for (const [name, v] of c) if (name.endsWith('.grad')) for (const x of v) gradScale = Math.max(gradScale, Math.abs(x));
  for (const [name, cv] of c) {
    const gv = g.get(name)!;
    const own = cv.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Noise must stay noise: its size, against 1e-3 of the gradients, scaled to the tolerance.
    const noise = gv.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const e = name.endsWith('.grad') && own < 1e-3 * gradScale ? (noise / (1e-3 * gradScale)) * TOLERANCE : relError(gv, cv);
    if (!(e <= worst)) [worst, where] = [e, name];
  }
  return { worst, where };
}

async function productAgreement(gpu: Backend): Promise<{ worst: number; where: string }> {
  const cpu = new CpuBackend('float32');
  const rng = new Rng(5);
  let worst = 0;
  let where = '';
  for (const [M, N, K] of [[70, 90, 600], [20, 150, 37], [150, 10, 1100], [512, 800, 784]]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = Float32Array.from({ length: M * K }, () => rng.uniform() - 0.5);
      const b = Float32Array.from({ length: K * N }, () => rng.uniform() - 0.5);
      const res = [];
      for (const B of [cpu, gpu]) {
        const o = B.tensor([M, N]);
        B.matmul(B.tensor(ta ? [K, M] : [M, K], a), B.tensor(tb ? [N, K] : [K, N], b), o, ta, tb, false);
        res.push(await B.read(o));
      }
      // Random signs: the sums are of size sqrt(K), their rounding below K u of the terms.
      const e = relError(res[1], res[0]);
      if (!(e <= worst)) [worst, where] = [e, `matmul ${M}x${N}x${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`];
    }
  }
  return { worst, where };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'cnn' },
      batch: { type: 'string', default: '128' },
      batches: { type: 'string', default: '100' },
      repeats: { type: 'string', default: '3' },
      out: { type: 'string' },
      software: { type: 'boolean', default: false },
    },
  });
  const batch = Number(values.batch);
  const batches = Number(values.batches);
  const repeats = Number(values.repeats);
  const spec = parseArch(values.arch!);
  const choice = await createBackend('gpu', { backends: values.software ? ['vulkan', 'opengles'] : ['vulkan'], allowSoftware: values.software });
  if (choice.device !== 'gpu') {
    console.error(`gpu-check: no WebGPU GPU: ${choice.fallback}`);
    process.exit(2);
  }
  const B = choice.backend as WebGpuBackend;
  console.log(`WebGPU adapter: ${choice.description}`);
  const result: Record<string, unknown> = { adapter: choice.description, arch: values.arch, spec, batch, batches };

  console.log('\n== agreement with the CPU backend on this GPU (max |gpu - cpu| / max |cpu|, limit 1e-4) ==');
  const products = await productAgreement(B);
  const net = await agreement(B, spec, 16);
  const mlp = await agreement(B, parseArch('mlp-sigmoid'), 16);
  for (const [name, r] of [['matrix products', products], [`${values.arch} forward+backward`, net], ['mlp-sigmoid forward+backward', mlp]] as const) {
    console.log(`  ${name.padEnd(32)} ${r.worst.toExponential(2)} (worst: ${r.where}) ${r.worst <= TOLERANCE ? 'within' : 'OVER'} ${TOLERANCE}`);
  }
  result.agreement = { products, network: net, mlp, agree: [products, net, mlp].every((r) => r.worst <= TOLERANCE) };

  console.log(`\n== training throughput, batch ${batch}, ${batches} batches x ${repeats} (SGD with momentum, inputs uploaded per batch) ==`);
  const main = await trainingThroughput(B, spec, { batch, batches, repeats, warmup: 3 });
  console.log(`  ${values.arch!.padEnd(12)} ${main.median.toFixed(0)} examples/s (runs ${main.runs.map((v) => v.toFixed(0)).join(', ')})`);
  const mlpRate = await trainingThroughput(B, parseArch('mlp-sigmoid'), { batch, batches, repeats, warmup: 3 });
  console.log(`  ${'mlp-sigmoid'.padEnd(12)} ${mlpRate.median.toFixed(0)} examples/s (runs ${mlpRate.runs.map((v) => v.toFixed(0)).join(', ')})`);
  result.examplesPerSecond = main.median;
  result.mlpExamplesPerSecond = mlpRate.median;

  console.log('\n== kernels ==');
  const kernels = await kernelRates(B, values.software ? 'small' : 'large');
  for (const k of kernels) console.log(`  ${k.kernel.padEnd(48)} ${k.rate.padStart(18)} ${k.ms.toFixed(3).padStart(10)} ms`);
  result.kernels = kernels;

  console.log(`\n== per layer, ${values.arch}, batch ${batch} (ms, GPU waited for after each: includes ~0.1 ms of sync) ==`);
  const layers = await layerTimes(B, spec, batch, 5);
  for (const l of layers) console.log(`  ${l.layer.padEnd(72)} fwd ${l.forwardMs.toFixed(3).padStart(8)}  bwd ${l.backwardMs.toFixed(3).padStart(8)}`);
  result.layers = layers;
  result.counters = { ...B.runtime.counters };

  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2));
  choice.close();
}

await main();
