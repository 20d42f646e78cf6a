import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Network } from '../../../src/nn/network.ts';
import { mlp } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { oneHot, Trainer } from '../../../src/nn/train.ts';
import { KERNEL_DIR } from '../../../scripts/lib/build-wasm.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';

// The same committed .wasm runs inside workerd, where compiling bytes is forbidden and a `.wasm`
// import gives a precompiled WebAssembly.Module: a Worker trains the same steps as Node does.
const CORE = fileURLToPath(new URL('../../../src/nn/', import.meta.url));
const WORKER = `
import simd from './nn-simd.wasm';
import relaxed from './nn-relaxed.wasm';
import { createCpuBackend } from '${CORE}backend/cpu/create.ts';
import { relaxedSimdSupported } from '${CORE}backend/cpu/wasm-kernels.ts';
import { Network } from '${CORE}network.ts';
import { mlp } from '${CORE}presets.ts';
import { Rng } from '${CORE}rng.ts';
import { oneHot, Trainer } from '${CORE}train.ts';
${steps.toString()}
export default {
  async fetch(request) {
    const variant = new URL(request.url).searchParams.get('variant');
    const backend = await createCpuBackend({ wasm: variant === 'relaxed' ? relaxed : simd });
    let bytesError = '';
    try { await createCpuBackend({ wasm: new Uint8Array(8) }); } catch (e) { bytesError = e.message; }
    return Response.json({
      imported: simd instanceof WebAssembly.Module, relaxed: relaxedSimdSupported(), backend: backend.name,
      result: await steps(backend, { Network, mlp, Rng, oneHot, Trainer }), bytesError,
    });
  },
};`;

/** Five momentum steps of a 784-100-10 network on seeded random batches; the mean loss and the weights' checksum. */
async function steps(backend: any, nn: any): Promise<{ loss: number; checksum: number }> {
  const net = new nn.Network(nn.mlp([784, 100, 10]), { backend, seed: 1 });
  const trainer = new nn.Trainer(net, { loss: 'xent', optimizer: 'momentum' });
  const rng = new nn.Rng(2);
  for (let s = 0; s < 5; s++) {
    const x = Float32Array.from({ length: 32 * 784 }, () => rng.uniform());
    const t = nn.oneHot(Array.from({ length: 32 }, () => rng.int(10)), 10);
    trainer.stepHost(x, t, 32, 0.1);
  }
  let checksum = 0;
  for (const w of await net.weights()) for (let i = 0; i < w.data.length; i++) checksum += w.data[i] * ((i % 7) - 3);
  return { loss: (await trainer.drain()).loss, checksum };
}

let mf: Miniflare;
beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: WORKER, loader: 'ts', resolveDir: CORE },
    bundle: true, format: 'esm', platform: 'neutral', external: ['*.wasm'], write: false,
  });
  mf = new Miniflare({
    compatibilityDate: '2025-01-01',
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: bundle.outputFiles[0].text },
      { type: 'CompiledWasm', path: 'nn-simd.wasm', contents: readFileSync(join(KERNEL_DIR, 'nn-simd.wasm')) },
      { type: 'CompiledWasm', path: 'nn-relaxed.wasm', contents: readFileSync(join(KERNEL_DIR, 'nn-relaxed.wasm')) },
    ],
  });
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

it('the kernels, imported as a compiled module in workerd, train exactly as in Node', async () => {
  for (const variant of ['simd', 'relaxed'] as const) {
    const res = await mf.dispatchFetch(`http://localhost/?variant=${variant}`);
    const got = (await res.json()) as { imported: boolean; relaxed: boolean; backend: string; result: { loss: number; checksum: number }; bytesError: string };
    expect(got.imported).toBe(true);
    expect(got.backend).toBe('cpu-wasm');
    expect(got.relaxed).toBe(true); // on by default in workerd
    expect(got.bytesError).toMatch(/cannot instantiate the WASM kernels: .*disallowed/);
    const node = await steps(await nodeWasmBackend({ variant }), { Network, mlp, Rng, oneHot, Trainer });
    expect(Number.isFinite(node.loss)).toBe(true);
    // Same code, same bytes, same V8: the same float32 results (relaxed FMA fuses alike on one machine).
    expect(got.result.loss).toBeCloseTo(node.loss, 6);
    expect(got.result.checksum).toBeCloseTo(node.checksum, 3);
  }
}, 60_000);
