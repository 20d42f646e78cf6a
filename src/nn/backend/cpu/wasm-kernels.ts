/**
 * The WASM SIMD kernels (compiled from ./assembly by `npm run build:wasm`) and how to instantiate
 * them. Four builds of one source sit in ./wasm:
 * - `nn-simd.wasm`: 128-bit SIMD, runs wherever WebAssembly SIMD does (Node, browsers, workerd);
 * - `nn-relaxed.wasm`: the same with relaxed SIMD's fused multiply-add in the matrix products
 *   (on by default in browsers, workerd and Node 22+);
 * - `*-shared.wasm`: the same over a shared memory, for data-parallel training across threads.
 * All of them import their memory as `env.memory`.
 */

/** Byte offsets into linear memory; counts are in floats. */
type Ptr = number;

export interface Kernels {
  gemm(M: number, N: number, K: number, a: Ptr, b: Ptr, c: Ptr, transA: number, transB: number, accumulate: number): void;
  /** C[M,N] (+)= A[0:K, 0:M]^T x B[K,N], A's rows lda floats apart. */
  gemmTransALd(M: number, N: number, K: number, a: Ptr, lda: number, b: Ptr, c: Ptr, accumulate: number): void;
  /** Bytes of the work area where gemm packs panels of B (one per instance: per thread). */
  packAreaBytes(): number;
  setPackArea(p: Ptr): void;
  addBias(x: Ptr, bias: Ptr, C: number, outer: number, inner: number): void;
  biasGrad(dy: Ptr, dbias: Ptr, C: number, outer: number, inner: number): void;
  addInto(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  mul(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  activation(fn: number, x: Ptr, y: Ptr, n: number): void;
  activationGrad(fn: number, y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  softmax(x: Ptr, y: Ptr, rows: number, k: number): void;
  softmaxGrad(y: Ptr, dy: Ptr, dx: Ptr, rows: number, k: number): void;
  expVec(x: Ptr, y: Ptr, n: number): void;
  softmaxCrossEntropy(z: Ptr, t: Ptr, dz: Ptr, loss: Ptr, rows: number, k: number, scale: number): void;
  sigmoidCrossEntropy(z: Ptr, t: Ptr, dz: Ptr, loss: Ptr, n: number, scale: number): void;
  squaredError(y: Ptr, t: Ptr, dy: Ptr, loss: Ptr, n: number, scale: number): void;
  countCorrect(y: Ptr, t: Ptr, out: Ptr, rows: number, k: number, mode: number): void;
  sgdUpdate(w: Ptr, g: Ptr, n: number, lr: number, wd: number): void;
  momentumUpdate(w: Ptr, g: Ptr, v: Ptr, n: number, lr: number, mu: number, wd: number, nesterov: number): void;
  adamUpdate(w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, b1: number, b2: number, a1: number, a2: number, eps: number, c1: number, c2: number, wd: number): void;
  im2col(x: Ptr, col: Ptr, n: number, cin: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, outH: number, outW: number): void;
  col2im(col: Ptr, dx: Ptr, n: number, cin: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, outH: number, outW: number): void;
  swapOuter(src: Ptr, dst: Ptr, a: number, b: number, P: number): void;
  maxPool(x: Ptr, y: Ptr, argmax: Ptr, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, outH: number, outW: number): void;
  maxPoolGrad(dy: Ptr, argmax: Ptr, dx: Ptr, planes: number, h: number, w: number, outH: number, outW: number): void;
  batchNormInfer(x: Ptr, y: Ptr, gamma: Ptr, beta: Ptr, mean: Ptr, variance: Ptr, eps: number, channels: number, outer: number, inner: number): void;
  dropoutMask(mask: Ptr, n: number, threshold: number, keep: number, key: number): void;
  /** The first byte past the kernels' static data (their math tables). */
  heapBase(): number;
}

export type KernelVariant = 'simd' | 'relaxed';

/** The file name of a build inside ./wasm. */
export function kernelFile(variant: KernelVariant, shared = false): string {
  return `nn-${variant}${shared ? '-shared' : ''}.wasm`;
}

// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
const zeros = (n: number) => new Array<number>(n).fill(0);
const V128_ZERO = [0xfd, 0x0c, ...zeros(16)];
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this runtime accepts relaxed SIMD (validating a tiny module; nothing is compiled). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/**
 * Instantiates the kernels over `memory`. `wasm` is a compiled module (what a Worker's `.wasm`
 * import gives; workerd forbids compiling bytes) or the module's bytes (Node, browsers).
 */
export async function instantiateKernels(wasm: WebAssembly.Module | BufferSource, memory: WebAssembly.Memory): Promise<Kernels> {
  const imports = {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`WASM kernel aborted at ${line}:${col}`);
      },
    },
  };
  let instance: WebAssembly.Instance;
  try {
    instance = wasm instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(wasm, imports)
      : (await instantiateBytes(wasm, imports)).instance;
  } catch (e) {
    const m = (e as Error).message;
    if (/shared/i.test(m)) {
      throw new Error(`the WASM kernels and the memory disagree about sharing (use the -shared build with a shared memory): ${m}`);
    }
    throw new Error(`cannot instantiate the WASM kernels: ${m}`);
  }
  return instance.exports as unknown as Kernels;
}

/** WebAssembly.instantiate from bytes, typed by hand: the Workers runtime's types declare only the Module form (it forbids bytes). */
function instantiateBytes(bytes: BufferSource, imports: WebAssembly.Imports): Promise<{ instance: WebAssembly.Instance }> {
  return (WebAssembly.instantiate as unknown as (b: BufferSource, i: WebAssembly.Imports) => Promise<{ instance: WebAssembly.Instance }>)(bytes, imports);
}
