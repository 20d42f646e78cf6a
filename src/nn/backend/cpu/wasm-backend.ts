import type { ActivationFn, BatchNormInferArgs, Conv2dGeometry, Tensor } from '../backend.ts';
import { dropThreshold, sizeOf } from '../backend.ts';
import { CpuBackend } from './cpu-backend.ts';
import { Heap } from './heap.ts';
import type { Kernels } from './wasm-kernels.ts';

/**
 * A float32 tensor living in the WASM linear memory. `data` is a view made on demand (a view
 * made before the memory grew would be detached), so the reference kernels inherited from
 * CpuBackend work on it unchanged.
 */
export class WasmTensor implements Tensor {
  readonly size: number;
  private cached: Float32Array | null = null;

  constructor(
    readonly shape: readonly number[],
    /** Byte offset of element 0. */
    public ptr: number,
    private readonly memory: WebAssembly.Memory,
    /** Whether this tensor's block belongs to it (freed by dispose) rather than to another tensor or to nobody. */
    public owned: boolean,
  ) {
    this.size = sizeOf(shape);
  }

  get data(): Float32Array {
    const buf = this.memory.buffer;
    const c = this.cached;
    if (c && c.buffer === buf && c.byteOffset === this.ptr) return c;
    return (this.cached = new Float32Array(buf, this.ptr, this.size));
  }
}

const ACTIVATION: Record<ActivationFn, number> = { linear: 0, sigmoid: 1, tanh: 2, relu: 3 };

/**
 * The fast float32 CPU backend: tensors in WASM linear memory and WASM SIMD kernels for the
 * matrix products, the element-wise work of a training step, the losses, the optimizer updates
 * and convolution's im2col. Pooling and batch normalisation run the reference TypeScript kernels
 * over the same memory. Create it with `createCpuBackend({ wasm })`.
 */
export class WasmBackend extends CpuBackend {
  override readonly name: string = 'cpu-wasm';
  private readonly scratchBlocks: Array<{ ptr: number; bytes: number }> = [];

  constructor(
    readonly kernels: Kernels,
    readonly memory: WebAssembly.Memory,
    readonly heap: Heap,
  ) {
    super('float32');
    kernels.setPackArea(heap.alloc(kernels.packAreaBytes()));
  }

  // --- memory ---------------------------------------------------------------------------------
  override tensor(shape: readonly number[], data?: ArrayLike<number>): WasmTensor {
    const size = sizeOf(shape);
    if (!Number.isInteger(size) || size < 0) throw new Error(`bad tensor shape [${shape}]`);
    if (data && data.length !== size) throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${data.length}`);
    const t = new WasmTensor([...shape], this.heap.alloc(size * 4), this.memory, true);
    if (data) t.data.set(data);
    return t;
  }

  /** A tensor over storage someone else manages: `ptr` is a byte offset into this backend's memory. */
  tensorAt(ptr: number, shape: readonly number[]): WasmTensor {
    const t = new WasmTensor([...shape], ptr, this.memory, false);
    if (ptr % 4 !== 0 || ptr < 0 || ptr + t.size * 4 > this.memory.buffer.byteLength) throw new Error(`tensorAt: [${shape}] at ${ptr} is outside memory`);
    return t;
  }

  override view(t: Tensor, shape: readonly number[]): WasmTensor {
    const w = wt(t);
    if (sizeOf(shape) !== w.size) throw new Error(`cannot view [${w.shape}] as [${shape}]`);
    return new WasmTensor([...shape], w.ptr, this.memory, false);
  }

  /** The byte offset of a tensor's first element in this backend's memory. */
  pointer(t: Tensor): number {
    return wt(t).ptr;
  }

  /** Elements [start, start + length) of a tensor as a flat tensor sharing its storage. */
  slice(t: Tensor, start: number, length: number): WasmTensor {
    const w = wt(t);
    if (start < 0 || length < 0 || start + length > w.size) throw new Error(`slice [${start}, ${start + length}) of a tensor of ${w.size}`);
    return new WasmTensor([length], w.ptr + 4 * start, this.memory, false);
  }

  /**
   * Points `t` (a tensor this backend allocated) at the storage of `ptr`, freeing its own block:
   * how data-parallel replicas come to share one copy of the weights.
   */
  rebind(t: Tensor, ptr: number): void {
    const w = wt(t);
    if (!w.owned) throw new Error('rebind: only a tensor that owns its storage can be rebound');
    this.heap.free(w.ptr);
    w.ptr = ptr;
    w.owned = false; // borrowed now: never freed by this backend
  }

  override dispose(t: Tensor): void {
    const w = wt(t);
    if (w.owned) {
      this.heap.free(w.ptr);
      w.owned = false;
    }
  }

  override write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    wt(t).data.set(data, offset);
  }
  override async read(t: Tensor): Promise<Float32Array> {
    return wt(t).data.slice();
  }
  override readSync(t: Tensor): Float32Array {
    return wt(t).data;
  }
  override copy(src: Tensor, dst: Tensor): void {
    const a = wt(src);
    const b = wt(dst);
    if (a.size !== b.size) throw new Error(`copy: sizes differ (${a.size} vs ${b.size})`);
    new Uint8Array(this.memory.buffer).copyWithin(b.ptr, a.ptr, a.ptr + 4 * a.size);
  }
  override fill(t: Tensor, value: number): void {
    wt(t).data.fill(value);
  }

  /** A reusable work block in WASM memory (slot-indexed so that two can be live at once). */
  private workBlock(slot: number, floats: number): number {
    const s = this.scratchBlocks[slot];
    if (s && s.bytes >= floats * 4) return s.ptr;
    if (s) this.heap.free(s.ptr);
    const bytes = Math.max(floats * 4, 64);
    const ptr = this.heap.alloc(bytes);
    this.scratchBlocks[slot] = { ptr, bytes };
    return ptr;
  }

  // --- linear algebra -------------------------------------------------------------------------
  override matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const [ar, ac] = a.shape;
    const [br, bc] = b.shape;
    const M = transA ? ac : ar;
    const K = transA ? ar : ac;
    const N = transB ? br : bc;
    if (a.shape.length !== 2 || b.shape.length !== 2 || out.shape.length !== 2 || (transB ? bc : br) !== K || out.shape[0] !== M || out.shape[1] !== N) {
      throw new Error(`matmul shapes [${a.shape}]${transA ? 'T' : ''} x [${b.shape}]${transB ? 'T' : ''} -> [${out.shape}] do not fit`);
    }
    this.kernels.gemm(M, N, K, wt(a).ptr, wt(b).ptr, wt(out).ptr, +transA, +transB, +accumulate);
  }
  /**
   * out[M, N] (+)= a[:, col : col + M]^T x b, with a [K, lda] and b [K, N]: the product over a slice
   * of a's columns. Data-parallel replicas compute their rows of a dense layer's dE/dW this way.
   */
  matmulColumnsT(a: Tensor, col: number, M: number, b: Tensor, out: Tensor, accumulate: boolean): void {
    const [K, lda] = a.shape;
    const N = b.shape[1];
    if (a.shape.length !== 2 || b.shape.length !== 2 || b.shape[0] !== K || col < 0 || M < 0 || col + M > lda || out.size < M * N) {
      throw new Error(`matmulColumnsT: columns [${col}, ${col + M}) of [${a.shape}]T x [${b.shape}] -> ${out.size} values do not fit`);
    }
    this.kernels.gemmTransALd(M, N, K, wt(a).ptr + 4 * col, lda, wt(b).ptr, wt(out).ptr, +accumulate);
  }
  override addBias(x: Tensor, bias: Tensor, inner: number): void {
    const C = bias.size;
    this.kernels.addBias(wt(x).ptr, wt(bias).ptr, C, x.size / (C * inner), inner);
  }
  override biasGrad(dy: Tensor, dbias: Tensor, inner: number): void {
    const C = dbias.size;
    this.kernels.biasGrad(wt(dy).ptr, wt(dbias).ptr, C, dy.size / (C * inner), inner);
  }

  // --- element-wise ---------------------------------------------------------------------------
  override activation(fn: ActivationFn, x: Tensor, y: Tensor): void {
    const code = ACTIVATION[fn];
    if (code === undefined) throw new Error(`unknown activation '${fn}'`);
    this.kernels.activation(code, wt(x).ptr, wt(y).ptr, x.size);
  }
  override activationGrad(fn: ActivationFn, y: Tensor, dy: Tensor, dx: Tensor): void {
    const code = ACTIVATION[fn];
    if (code === undefined) throw new Error(`unknown activation '${fn}'`);
    this.kernels.activationGrad(code, wt(y).ptr, wt(dy).ptr, wt(dx).ptr, y.size);
  }
  override softmax(x: Tensor, y: Tensor): void {
    const k = last(x);
    this.kernels.softmax(wt(x).ptr, wt(y).ptr, x.size / k, k);
  }
  override softmaxGrad(y: Tensor, dy: Tensor, dx: Tensor): void {
    const k = last(y);
    this.kernels.softmaxGrad(wt(y).ptr, wt(dy).ptr, wt(dx).ptr, y.size / k, k);
  }
  override mul(a: Tensor, b: Tensor, out: Tensor): void {
    this.kernels.mul(wt(a).ptr, wt(b).ptr, wt(out).ptr, out.size);
  }
  /** out = a + b, element by element (out may alias a or b). */
  add(a: Tensor, b: Tensor, out: Tensor): void {
    this.kernels.addInto(wt(a).ptr, wt(b).ptr, wt(out).ptr, out.size);
  }
  override dropoutMask(mask: Tensor, rate: number, key: number): void {
    this.kernels.dropoutMask(wt(mask).ptr, mask.size, dropThreshold(rate) | 0, 1 / (1 - rate), key | 0);
  }

  // --- losses ---------------------------------------------------------------------------------
  override softmaxCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    const k = last(z);
    this.kernels.softmaxCrossEntropy(wt(z).ptr, wt(t).ptr, wt(dz).ptr, wt(loss).ptr, z.size / k, k, scale);
  }
  override sigmoidCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    this.kernels.sigmoidCrossEntropy(wt(z).ptr, wt(t).ptr, wt(dz).ptr, wt(loss).ptr, z.size, scale);
  }
  override squaredError(y: Tensor, t: Tensor, dy: Tensor, loss: Tensor, scale: number): void {
    this.kernels.squaredError(wt(y).ptr, wt(t).ptr, wt(dy).ptr, wt(loss).ptr, y.size, scale);
  }
  override countCorrect(y: Tensor, t: Tensor, out: Tensor, mode: 'argmax' | 'threshold'): void {
    const k = last(y);
    this.kernels.countCorrect(wt(y).ptr, wt(t).ptr, wt(out).ptr, y.size / k, k, mode === 'argmax' ? 0 : 1);
  }

  // --- optimizers -----------------------------------------------------------------------------
  override sgdUpdate(w: Tensor, g: Tensor, lr: number, weightDecay: number): void {
    this.kernels.sgdUpdate(wt(w).ptr, wt(g).ptr, w.size, lr, weightDecay);
  }
  override momentumUpdate(w: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, weightDecay: number, nesterov: boolean): void {
    this.kernels.momentumUpdate(wt(w).ptr, wt(g).ptr, wt(v).ptr, w.size, lr, mu, weightDecay, +nesterov);
  }
  override adamUpdate(
    w: Tensor, g: Tensor, m: Tensor, v: Tensor,
    lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
  ): void {
    const c1 = 1 - Math.pow(beta1, step);
    const c2 = 1 - Math.pow(beta2, step);
    this.kernels.adamUpdate(wt(w).ptr, wt(g).ptr, wt(m).ptr, wt(v).ptr, w.size, lr, beta1, beta2, 1 - beta1, 1 - beta2, eps, c1, c2, weightDecay);
  }

  // --- convolution: im2col + one matrix product over the batch -----------------------------------
  override conv2d(x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const col = this.workBlock(0, CKK * g.n * P);
    this.im2col(wt(x).ptr, col, g);
    if (g.n === 1) {
      // One example: [cout, 1, P] is already y's layout.
      this.kernels.gemm(g.cout, P, CKK, wt(w).ptr, col, wt(y).ptr, 0, 0, 0);
      return;
    }
    const out = this.workBlock(1, g.cout * g.n * P);
    this.kernels.gemm(g.cout, g.n * P, CKK, wt(w).ptr, col, out, 0, 0, 0);
    this.kernels.swapOuter(out, wt(y).ptr, g.cout, g.n, P); // [cout, n, P] -> [n, cout, P]
  }
  override conv2dGradWeight(x: Tensor, dy: Tensor, dw: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const col = this.workBlock(0, CKK * g.n * P);
    this.im2col(wt(x).ptr, col, g);
    const dyc = this.workBlock(1, g.cout * g.n * P);
    this.kernels.swapOuter(wt(dy).ptr, dyc, g.n, g.cout, P);
    // dw[cout, CKK] = dy[cout, nP] x col[CKK, nP]^T
    this.kernels.gemm(g.cout, CKK, g.n * P, dyc, col, wt(dw).ptr, 0, 1, 0);
  }
  override conv2dGradInput(dy: Tensor, w: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const dyc = this.workBlock(1, g.cout * g.n * P);
    this.kernels.swapOuter(wt(dy).ptr, dyc, g.n, g.cout, P);
    const col = this.workBlock(0, CKK * g.n * P);
    // dcol[CKK, nP] = w[cout, CKK]^T x dy[cout, nP]
    this.kernels.gemm(CKK, g.n * P, g.cout, wt(w).ptr, dyc, col, 1, 0, 0);
    this.kernels.col2im(col, wt(dx).ptr, g.n, g.cin, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
  }
  override maxPool(x: Tensor, y: Tensor, argmax: Tensor, g: Conv2dGeometry): void {
    this.kernels.maxPool(wt(x).ptr, wt(y).ptr, wt(argmax).ptr, g.n * g.cin, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
  }
  override maxPoolGrad(dy: Tensor, argmax: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    this.kernels.maxPoolGrad(wt(dy).ptr, wt(argmax).ptr, wt(dx).ptr, g.n * g.cin, g.h, g.w, g.outH, g.outW);
  }
  override batchNormInfer({ x, gamma, beta, y, runningMean, runningVar, eps, inner }: BatchNormInferArgs): void {
    const C = gamma.size;
    this.kernels.batchNormInfer(wt(x).ptr, wt(y).ptr, wt(gamma).ptr, wt(beta).ptr, wt(runningMean).ptr, wt(runningVar).ptr, eps, C, x.size / (C * inner), inner);
  }
  private im2col(x: number, col: number, g: Conv2dGeometry): void {
    this.kernels.im2col(x, col, g.n, g.cin, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
  }
}

function wt(t: Tensor): WasmTensor {
  if (!(t instanceof WasmTensor)) throw new Error('the WASM backend was given a tensor of another backend');
  return t;
}

function last(t: Tensor): number {
  return t.shape[t.shape.length - 1];
}
