import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWasmBackend, type CpuBackendOptions } from '../../src/nn/backend/cpu/create.ts';
import type { WasmBackend } from '../../src/nn/backend/cpu/wasm-backend.ts';
import { kernelFile, relaxedSimdSupported, type KernelVariant } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { fileURLToPath } from 'node:url';

/** Where the committed kernel builds live (src/nn/backend/cpu/wasm/). */
export const KERNEL_DIR = fileURLToPath(new URL('../../src/nn/backend/cpu/wasm/', import.meta.url));

/**
 * The kernel build for this process: relaxed SIMD (fused multiply-add) where the runtime has it
 * (`'auto'`, default), or the variant asked for.
 */
export function pickVariant(relaxed: boolean | 'auto' = 'auto'): KernelVariant {
  if (relaxed === 'auto') return relaxedSimdSupported() ? 'relaxed' : 'simd';
  if (relaxed && !relaxedSimdSupported()) throw new Error('relaxed SIMD is not available in this runtime (Node 22 and later, browsers and workerd have it)');
  return relaxed ? 'relaxed' : 'simd';
}

/** The bytes of a committed kernel build. */
export function readKernels(variant: KernelVariant, shared = false): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(join(KERNEL_DIR, kernelFile(variant, shared))));
}

/**
 * The fast CPU backend for Node scripts and tests, reading the kernels from disk.
 *
 * @example
 * const backend = await nodeWasmBackend();               // best variant this runtime has
 * const net = new Network(spec, { backend, seed: 1 });
 */
export async function nodeWasmBackend(opts: Omit<CpuBackendOptions, 'wasm'> & { variant?: KernelVariant; shared?: boolean } = {}): Promise<WasmBackend> {
  const variant = opts.variant ?? pickVariant();
  const shared = opts.shared ?? false;
  return createWasmBackend({ ...opts, wasm: readKernels(variant, shared) });
}
