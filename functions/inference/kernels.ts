import { createCpuBackend } from '../../src/nn/backend/cpu/create.ts';
import type { Backend } from '../../src/nn/backend/backend.ts';
import relaxedKernels from '../../src/nn/backend/cpu/wasm/nn-relaxed.wasm';
import simdKernels from '../../src/nn/backend/cpu/wasm/nn-simd.wasm';
import { relaxedSimdSupported } from '../../src/nn/backend/cpu/wasm-kernels.ts';

/** The core's WASM SIMD kernels, imported precompiled (workerd compiles no wasm at run time): relaxed SIMD's fused multiply-add where the runtime has it. */
const kernels = relaxedSimdSupported() ? relaxedKernels : simdKernels;

/**
 * A fresh CPU backend of the core on the WASM kernels, for the core's inference engine and the
 * online trainer. Instantiating the 20 KB module costs well under a millisecond.
 *
 * @example
 * const { network } = await importOnnx(bytes, { backend: await coreBackend() });
 */
export function coreBackend(): Promise<Backend> {
  return createCpuBackend({ wasm: kernels });
}
