import { pcgHash } from '../../rng.ts';
import type { ActivationFn, Backend, BatchNormGradArgs, BatchNormInferArgs, BatchNormTrainArgs, Conv2dGeometry, Tensor } from '../backend.ts';
import { dropThreshold, sizeOf } from '../backend.ts';
import {
  BATCH_NORM_APPLY, BATCH_NORM_GRAD, BATCH_NORM_GRAD_INPUT, BATCH_NORM_STATS_MERGE, BATCH_NORM_STATS_SLICES, BATCH_NORM_TRAIN,
  BIAS_GRAD, GRAD_SUMS_MERGE, GRAD_SUMS_SLICES, SLICE,
} from './kernels/channels.ts';
import {
  ACTIVATION, ACTIVATION_GRAD, ADAM, ADD_BIAS, BATCH_NORM_INFER, DROPOUT_MASK, FILL, MOMENTUM, MUL, SGD,
} from './kernels/elementwise.ts';
import { convOperands, convParams } from './kernels/conv.ts';
import { TILES, gemmKernel, gemmReduceKernel, matmulOperands, planGemm, type Operands } from './kernels/gemm.ts';
import { AVG_POOL, AVG_POOL_GRAD, MAX_POOL, MAX_POOL_GRAD } from './kernels/pool.ts';
import {
  COUNT_CORRECT, SIGMOID_CROSS_ENTROPY, SOFTMAX, SOFTMAX_CROSS_ENTROPY, SOFTMAX_GRAD, SQUARED_ERROR,
} from './kernels/rows.ts';
import { COPY, GpuRuntime, MAX_GROUPS, grid, type KernelSpec, type Storage } from './runtime.ts';

/** A WebGPU tensor: a shape over a storage buffer (views share the buffer). */
export class GpuTensor implements Tensor {
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly storage: Storage,
  ) {
    this.size = sizeOf(shape);
  }
}

/** What the factory learnt about the device, for logs and model cards. */
export interface GpuInfo {
  /** The adapter's own description, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  vendor: string;
  architecture: string;
  /** WebGPU feature level of the device: 'core' or 'compatibility'. */
  featureLevel: string;
}

const MATMUL = [false, true].flatMap((ta) => [false, true].map((tb) => matmulOperands(ta, tb)));

/**
 * The core's compute contract in WGSL, float32. Operations are recorded into one compute pass and
 * submitted when data crosses to or from the host (`write`, `read`), so parameters, activations,
 * gradients and optimizer state stay on the GPU across batches.
 *
 * @example
 * const B = await createWebGpuBackend(navigator.gpu);
 * const net = new Network(PRESETS.cnn.build({}), { backend: B, seed: 1 });
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly dtype = 'float32' as const;
  readonly runtime: GpuRuntime;
  /** For tuning only: the tile shape ('s', 'w', 't' or 'b', see kernels/gemm.ts) of every product. */
  gemmTile: string | null = null;
  private readonly specs = new Map<string, KernelSpec>();

  /**
   * `retain`: objects that must live as long as the device. Dawn's Node binding tears its
   * instance down when the `GPU` object that made the device is garbage-collected, and the device
   * with it (seen as crashes in the driver's threads a few submissions later).
   */
  constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo = { description: 'unknown', vendor: '', architecture: '', featureLevel: 'core' },
    private readonly retain: readonly unknown[] = [],
  ) {
    this.runtime = new GpuRuntime(device);
  }

  // --- memory -------------------------------------------------------------------------------------
  tensor(shape: readonly number[], data?: ArrayLike<number>): GpuTensor {
    const n = sizeOf(shape);
    if (!Number.isInteger(n) || n < 0) throw new Error(`tensor shape [${shape}] is not a list of non-negative integers`);
    if (data && data.length !== n) throw new Error(`tensor of shape [${shape}] needs ${n} values, got ${data.length}`);
    const t = new GpuTensor([...shape], this.runtime.allocate(n));
    if (data && n) this.write(t, data);
    return t;
  }
  view(t: Tensor, shape: readonly number[]): GpuTensor {
    if (sizeOf(shape) !== t.size) throw new Error(`cannot view a tensor of shape [${t.shape}] as [${shape}]`);
    return new GpuTensor([...shape], s(t));
  }
  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    if (offset < 0 || offset + data.length > t.size) {
      throw new Error(`writing ${data.length} values at ${offset} overruns a tensor of ${t.size} [${t.shape}]`);
    }
    if (!data.length) return;
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    this.runtime.upload(s(t), offset * 4, f);
  }
  async read(t: Tensor): Promise<Float32Array> {
    return this.runtime.read(s(t), t.size);
  }
  copy(src: Tensor, dst: Tensor): void {
    sameSize(src, dst, 'copy');
    if (s(src) === s(dst)) return;
    this.run(COPY, [src.size], [src, dst], src.size);
  }
  fill(t: Tensor, value: number): void {
    this.run(FILL, [t.size, value], [t], t.size);
  }
  dispose(t: Tensor): void {
    this.runtime.release(s(t));
  }
  /** Waits for the GPU to finish the recorded work (for timing; `read` waits by itself). */
  sync(): Promise<void> {
    return this.runtime.sync();
  }
  /** Releases the backend's GPU objects and destroys the device. */
  destroy(): void {
    this.runtime.destroy();
    this.device.destroy();
    void this.retain;
  }

  // --- linear algebra -------------------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const [ar, ac] = a.shape;
    const [br, bc] = b.shape;
    const M = transA ? ac : ar;
    const K = transA ? ar : ac;
    const N = transB ? br : bc;
    if (a.shape.length !== 2 || b.shape.length !== 2 || (transB ? bc : br) !== K || out.shape[0] !== M || out.shape[1] !== N) {
      throw new Error(`matmul shapes [${a.shape}]${transA ? 'T' : ''} x [${b.shape}]${transB ? 'T' : ''} -> [${out.shape}] do not fit`);
    }
    this.gemm(MATMUL[(transA ? 2 : 0) + (transB ? 1 : 0)], M, N, K, [accumulate ? 1 : 0], [a, b], [out]);
  }
  addBias(x: Tensor, bias: Tensor, inner: number): void {
    this.run(ADD_BIAS, [x.size, bias.size, inner], [bias, x], x.size);
  }
  biasGrad(dy: Tensor, dbias: Tensor, inner: number): void {
    const C = dbias.size;
    const outer = dy.size / (C * inner);
    const slices = Math.ceil((outer * inner) / SLICE);
    if (slices <= 1) {
      this.perChannel(BIAS_GRAD, [outer, C, inner], [dy, dbias], C);
      return;
    }
    const partial = this.runtime.work(1, C * slices * 2);
    const params = [outer, C, inner, slices];
    this.runtime.dispatch(GRAD_SUMS_SLICES.bias, params, [s(dy), partial], slices, C);
    this.runtime.dispatch(GRAD_SUMS_MERGE.bias, params, [partial, s(dbias)], ...grid(C));
  }

  // --- element-wise ---------------------------------------------------------------------------------
  activation(fn: ActivationFn, x: Tensor, y: Tensor): void {
    sameSize(x, y, `activation ${fn}`);
    if (fn === 'linear' && s(x) === s(y)) return;
    this.run(ACTIVATION[fn], [x.size], [x, y], x.size);
  }
  activationGrad(fn: ActivationFn, y: Tensor, dy: Tensor, dx: Tensor): void {
    sameSize(dy, dx, `activation gradient ${fn}`);
    if (fn === 'linear' && s(dy) === s(dx)) return;
    this.run(ACTIVATION_GRAD[fn], [y.size], [y, dy, dx], y.size);
  }
  softmax(x: Tensor, y: Tensor): void {
    const k = last(x);
    this.run(SOFTMAX, [x.size / k, k], [x, y], x.size / k);
  }
  softmaxGrad(y: Tensor, dy: Tensor, dx: Tensor): void {
    const k = last(y);
    this.run(SOFTMAX_GRAD, [y.size / k, k], [y, dy, dx], y.size / k);
  }
  mul(a: Tensor, b: Tensor, out: Tensor): void {
    sameSize(a, out, 'mul');
    sameSize(b, out, 'mul');
    this.run(MUL, [out.size], [a, b, out], out.size);
  }
  dropoutMask(mask: Tensor, rate: number, key: number): void {
    this.run(DROPOUT_MASK, [mask.size, pcgHash(key), dropThreshold(rate), 1 / (1 - rate)], [mask], mask.size);
  }

  // --- losses -------------------------------------------------------------------------------------------
  softmaxCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    const k = last(z);
    this.once(SOFTMAX_CROSS_ENTROPY, [z.size / k, k, scale], [z, t, dz, loss]);
  }
  sigmoidCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    this.once(SIGMOID_CROSS_ENTROPY, [z.size, scale], [z, t, dz, loss]);
  }
  squaredError(y: Tensor, t: Tensor, dy: Tensor, loss: Tensor, scale: number): void {
    this.once(SQUARED_ERROR, [y.size, scale], [y, t, dy, loss]);
  }
  countCorrect(y: Tensor, t: Tensor, out: Tensor, mode: 'argmax' | 'threshold'): void {
    const k = last(y);
    this.once(COUNT_CORRECT[mode], [y.size / k, k], [y, t, out]);
  }

  // --- optimizers -----------------------------------------------------------------------------------------
  sgdUpdate(w: Tensor, g: Tensor, lr: number, weightDecay: number): void {
    this.run(SGD, [w.size, lr, weightDecay], [g, w], w.size);
  }
  momentumUpdate(w: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, weightDecay: number, nesterov: boolean): void {
    this.run(MOMENTUM, [w.size, lr, mu, weightDecay, nesterov ? 1 : 0], [g, w, v], w.size);
  }
  adamUpdate(
    w: Tensor, g: Tensor, m: Tensor, v: Tensor,
    lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
  ): void {
    const c1 = 1 - Math.pow(beta1, step);
    const c2 = 1 - Math.pow(beta2, step);
    this.run(ADAM, [w.size, lr, beta1, beta2, 1 - beta1, 1 - beta2, eps, c1, c2, weightDecay], [g, w, m, v], w.size);
  }

  // --- convolution and pooling -------------------------------------------------------------------------------
  conv2d(x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void {
    this.gemm(convOperands('forward', g), g.cout, g.n * g.outH * g.outW, g.cin * g.kh * g.kw, [], [w, x], [y]);
  }
  conv2dGradInput(dy: Tensor, w: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    this.gemm(convOperands('gradInput', g), g.cin, g.n * g.h * g.w, g.cout * g.kh * g.kw, [], [w, dy], [dx]);
  }
  conv2dGradWeight(x: Tensor, dy: Tensor, dw: Tensor, g: Conv2dGeometry): void {
    this.gemm(convOperands('gradWeight', g), g.cout, g.cin * g.kh * g.kw, g.n * g.outH * g.outW, [], [dy, x], [dw]);
  }
  maxPool(x: Tensor, y: Tensor, argmax: Tensor, g: Conv2dGeometry): void {
    this.run(MAX_POOL, [y.size, ...convParams(g)], [x, y, argmax], y.size);
  }
  maxPoolGrad(dy: Tensor, argmax: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    this.run(MAX_POOL_GRAD, [dx.size, ...convParams(g)], [dy, argmax, dx], dx.size);
  }
  avgPool(x: Tensor, y: Tensor, g: Conv2dGeometry): void {
    this.run(AVG_POOL, [y.size, ...convParams(g)], [x, y], y.size);
  }
  avgPoolGrad(dy: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    this.run(AVG_POOL_GRAD, [dx.size, ...convParams(g)], [dy, dx], dx.size);
  }

  // --- batch normalisation ---------------------------------------------------------------------------------------
  batchNormTrain({ x, gamma, beta, y, mean, invStd, runningMean, runningVar, momentum, eps, inner }: BatchNormTrainArgs): void {
    const C = gamma.size;
    const outer = x.size / (C * inner);
    const slices = Math.ceil((outer * inner) / SLICE);
    if (slices <= 1) {
      this.perChannel(BATCH_NORM_TRAIN, [outer, C, inner, momentum, 1 - momentum, eps], [x, gamma, beta, y, mean, invStd, runningMean, runningVar], C);
      return;
    }
    const partial = this.runtime.work(1, C * slices * 3);
    const params = [outer, C, inner, slices];
    this.runtime.dispatch(BATCH_NORM_STATS_SLICES, params, [s(x), partial], slices, C);
    this.runtime.dispatch(BATCH_NORM_STATS_MERGE, [...params, momentum, 1 - momentum, eps], [partial, ...[mean, invStd, runningMean, runningVar].map(s)], ...grid(C));
    this.run(BATCH_NORM_APPLY, [x.size, C, inner], [x, gamma, beta, mean, invStd, y], x.size);
  }
  batchNormInfer({ x, gamma, beta, y, runningMean, runningVar, eps, inner }: BatchNormInferArgs): void {
    this.run(BATCH_NORM_INFER, [x.size, gamma.size, inner, eps], [x, gamma, beta, runningMean, runningVar, y], x.size);
  }
  batchNormGrad({ x, dy, gamma, mean, invStd, dx, dgamma, dbeta, inner }: BatchNormGradArgs): void {
    const C = gamma.size;
    const outer = x.size / (C * inner);
    const slices = Math.ceil((outer * inner) / SLICE);
    if (slices <= 1) {
      this.perChannel(BATCH_NORM_GRAD, [outer, C, inner], [x, dy, gamma, mean, invStd, dx, dgamma, dbeta], C);
      return;
    }
    const partial = this.runtime.work(1, C * slices * 2);
    const params = [outer, C, inner, slices];
    this.runtime.dispatch(GRAD_SUMS_SLICES.batchnorm, params, [...[x, dy, mean, invStd].map(s), partial], slices, C);
    this.runtime.dispatch(GRAD_SUMS_MERGE.batchnorm, params, [partial, s(dbeta), s(dgamma)], ...grid(C));
    this.run(BATCH_NORM_GRAD_INPUT, [x.size, C, inner, outer * inner], [x, dy, gamma, mean, invStd, dgamma, dbeta, dx], x.size);
  }

  // --- dispatch helpers ---------------------------------------------------------------------------------------------
  /** One thread per element of `n`. */
  private run(spec: KernelSpec, params: number[], tensors: Tensor[], n: number): void {
    this.runtime.dispatch(spec, params, tensors.map(s), ...grid(n));
  }
  /** One workgroup for the whole batch (losses and counts). */
  private once(spec: KernelSpec, params: number[], tensors: Tensor[]): void {
    this.runtime.dispatch(spec, params, tensors.map(s), 1);
  }
  /** One workgroup per channel. */
  private perChannel(spec: KernelSpec, params: number[], tensors: Tensor[], channels: number): void {
    const y = Math.ceil(channels / MAX_GROUPS);
    this.runtime.dispatch(spec, params, tensors.map(s), Math.ceil(channels / y), y);
  }

  /** A tiled product with these operands, split along K when the tiles alone are too few. */
  private gemm(op: Operands, M: number, N: number, K: number, extra: number[], inputs: Tensor[], outputs: Tensor[]): void {
    if (!M || !N) return;
    const plan = planGemm(M, N, K, this.gemmTile ? TILES.find((t) => t.name === this.gemmTile) : undefined);
    const params = [M, N, K, plan.kChunk, plan.splits, ...extra];
    if (plan.splits === 1) {
      this.runtime.dispatch(this.spec(op, plan.tile.name, false), params, [...inputs, ...outputs].map(s), ...plan.groups);
      return;
    }
    const partial = this.runtime.work(0, plan.splits * M * N);
    this.runtime.dispatch(this.spec(op, plan.tile.name, true), params, [...inputs.map(s), partial], ...plan.groups);
    this.runtime.dispatch(this.spec(op, 'reduce', false), params, [partial, ...outputs.map(s)], ...grid(M * N));
  }

  private spec(op: Operands, tile: string, split: boolean): KernelSpec {
    const key = `${op.name}|${tile}|${split}`;
    let k = this.specs.get(key);
    if (!k) {
      k = tile === 'reduce' ? gemmReduceKernel(op) : gemmKernel(op, TILES.find((t) => t.name === tile)!, split);
      this.specs.set(key, k);
    }
    return k;
  }
}

function s(t: Tensor): Storage {
  const st = (t as GpuTensor).storage;
  if (!st) throw new Error('a tensor from another backend was given to the WebGPU backend');
  return st;
}

function sameSize(a: Tensor, b: Tensor, what: string): void {
  if (a.size !== b.size) throw new Error(`${what}: tensors of shapes [${a.shape}] and [${b.shape}] differ in size`);
}

function last(t: Tensor): number {
  return t.shape[t.shape.length - 1];
}
