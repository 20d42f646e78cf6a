import type { Backend, DType } from '../backend.ts';
import { CpuBackend } from './cpu-backend.ts';
import { Heap } from './heap.ts';
import { WasmBackend } from './wasm-backend.ts';
import { instantiateKernels } from './wasm-kernels.ts';

export interface CpuBackendOptions {
  /**
   * The WASM kernels (one of the builds in ./wasm): a compiled `WebAssembly.Module` (what a
   * Worker's `.wasm` import gives, since workerd forbids compiling bytes) or the module's bytes.
   * Without it: the TypeScript reference backend.
   */
  wasm?: WebAssembly.Module | BufferSource;
  /** float64 always runs on the TypeScript reference (the kernels are float32). */
  dtype?: DType;
  /**
   * The memory to live in: a shared memory (with a `-shared` build) when threads train together.
   * Default: a fresh, growable, non-shared memory.
   */
  memory?: WebAssembly.Memory;
  /** The byte range of `memory` this backend allocates from; default: from the kernels' heap base, growing. */
  arena?: { start: number; end: number };
  /**
   * The given memory (or arena) has never been written: new blocks need no clearing, so a large
   * arena costs no pages until used. Implied for the memory this function creates.
   */
  zeroed?: boolean;
}

/**
 * The CPU backend: WASM SIMD kernels over tensors in linear memory when given `wasm`, otherwise
 * (or for float64) the TypeScript reference.
 *
 * @example
 * // Node: bytes from disk (scripts/lib/wasm-kernels.ts does this)
 * const backend = await createCpuBackend({ wasm: readFileSync('src/nn/backend/cpu/wasm/nn-simd.wasm') });
 * // Worker: `import wasm from './nn-simd.wasm'` gives a WebAssembly.Module
 * const backend = await createCpuBackend({ wasm });
 * const net = new Network(spec, { backend, seed: 1 });
 */
export async function createCpuBackend(opts: CpuBackendOptions = {}): Promise<Backend> {
  if (opts.dtype === 'float64' || !opts.wasm) return new CpuBackend(opts.dtype ?? 'float32');
  return createWasmBackend(opts as CpuBackendOptions & { wasm: WebAssembly.Module | BufferSource });
}

/** Like createCpuBackend, typed as the WASM backend (for callers that need its extras: slices, pointers). */
export async function createWasmBackend(opts: CpuBackendOptions & { wasm: WebAssembly.Module | BufferSource }): Promise<WasmBackend> {
  const memory = opts.memory ?? new WebAssembly.Memory({ initial: 256 }); // 16 MiB to start
  const kernels = await instantiateKernels(opts.wasm, memory);
  const base = kernels.heapBase();
  let heap: Heap;
  if (opts.arena) {
    const { start, end } = opts.arena;
    if (!(start >= base && end > start && end <= memory.buffer.byteLength)) {
      throw new Error(`arena [${start}, ${end}) must lie inside memory above the kernels' data (${base}..${memory.buffer.byteLength})`);
    }
    heap = new Heap(memory, start, end, opts.zeroed ?? false);
  } else {
    heap = new Heap(memory, base, undefined, opts.zeroed ?? !opts.memory);
  }
  return new WasmBackend(kernels, memory, heap);
}
