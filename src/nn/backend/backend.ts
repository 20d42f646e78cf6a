/**
 * The compute contract of the core. Layers, losses and optimizers are written once against this
 * interface; a backend (CPU in TypeScript/WASM, WebGPU in WGSL) supplies the kernels.
 *
 * Conventions, shared by every backend:
 * - Tensors are dense and row-major; images are NCHW; convolution weights are [Cout, Cin, kh, kw];
 *   dense weights are [out, in] (ONNX Gemm with transB = 1).
 * - Operations write into a destination the caller allocated once (no allocation per step).
 * - Operations are issued synchronously; a GPU backend only records them. `read` is the one
 *   asynchronous call: the only place where data comes back to the host.
 */
export type DType = 'float32' | 'float64';

/** An opaque handle to backend memory. Only its own backend looks inside. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly size: number;
}

export type ActivationFn = 'linear' | 'sigmoid' | 'tanh' | 'relu';

/** Geometry of a 2-D convolution or pooling window over an NCHW batch. */
export interface Conv2dGeometry {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

export interface Backend {
  readonly name: string;
  readonly dtype: DType;

  // --- memory ---------------------------------------------------------------------------
  /** New storage of the given shape: zeros, or a copy of `data`. */
  tensor(shape: readonly number[], data?: ArrayLike<number>): Tensor;
  /** The same storage seen with another shape of the same size. */
  view(t: Tensor, shape: readonly number[]): Tensor;
  /** Host values into `t`, starting at element `offset`. */
  write(t: Tensor, data: ArrayLike<number>, offset?: number): void;
  /** A host copy of the tensor's values (the only asynchronous operation). */
  read(t: Tensor): Promise<Float32Array | Float64Array>;
  copy(src: Tensor, dst: Tensor): void;
  fill(t: Tensor, value: number): void;
  dispose(t: Tensor): void;

  // --- linear algebra ---------------------------------------------------------------------
  /** out[M,N] = op(a)[M,K] x op(b)[K,N], plus out itself when `accumulate`. */
  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** x viewed as [outer, C, inner]: x[o, c, i] += bias[c]. */
  addBias(x: Tensor, bias: Tensor, inner: number): void;
  /** dbias[c] = sum over o and i of dy[o, c, i] (overwrites). */
  biasGrad(dy: Tensor, dbias: Tensor, inner: number): void;

  // --- element-wise -----------------------------------------------------------------------
  activation(fn: ActivationFn, x: Tensor, y: Tensor): void;
  /** dx = dy * f'(x), with f' written in terms of the output y = f(x). */
  activationGrad(fn: ActivationFn, y: Tensor, dy: Tensor, dx: Tensor): void;
  /** Softmax over the last dimension. */
  softmax(x: Tensor, y: Tensor): void;
  /** dx = y * (dy - sum(dy * y)) over the last dimension. */
  softmaxGrad(y: Tensor, dy: Tensor, dx: Tensor): void;
  /** out = a * b, element by element (out may alias a or b). */
  mul(a: Tensor, b: Tensor, out: Tensor): void;
  /** mask[i] = 1/(1-rate) if hashU32(key, i) >= rate * 2^32, else 0 (inverted dropout). */
  dropoutMask(mask: Tensor, rate: number, key: number): void;

  // --- losses: loss[0] += sum over the batch; the gradient is scaled by `scale` -------------
  /** Softmax cross-entropy from logits z; dz = scale * (softmax(z) - t). */
  softmaxCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void;
  /** Binary cross-entropy of independent sigmoid outputs, from logits; dz = scale * (sigmoid(z) - t). */
  sigmoidCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void;
  /** The article's E = 1/2 sum (t - y)^2; dy = scale * (y - t). */
  squaredError(y: Tensor, t: Tensor, dy: Tensor, loss: Tensor, scale: number): void;
  /**
   * out[0] += number of rows of y that match t: by arg-max ('argmax', single-label) or with every
   * output on the right side of 0.5 ('threshold', multi-label).
   */
  countCorrect(y: Tensor, t: Tensor, out: Tensor, mode: 'argmax' | 'threshold'): void;

  // --- optimizer updates (weight decay is L2: g + wd * w) ------------------------------------
  sgdUpdate(w: Tensor, g: Tensor, lr: number, weightDecay: number): void;
  /** v = mu * v - lr * g; w += v (or w += mu * v - lr * g with Nesterov). */
  momentumUpdate(w: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, weightDecay: number, nesterov: boolean): void;
  /** Adam (Kingma & Ba) with bias correction at 1-based step `step`. */
  adamUpdate(
    w: Tensor, g: Tensor, m: Tensor, v: Tensor,
    lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
  ): void;

  // --- convolution and pooling (NCHW) -------------------------------------------------------
  /** y[n, cout, oh, ow] = sum over cin, kh, kw of x * w (no bias: see addBias). */
  conv2d(x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void;
  /** dx from dy and w (overwrites dx). */
  conv2dGradInput(dy: Tensor, w: Tensor, dx: Tensor, g: Conv2dGeometry): void;
  /** dw from x and dy (overwrites dw). */
  conv2dGradWeight(x: Tensor, dy: Tensor, dw: Tensor, g: Conv2dGeometry): void;
  /** Max pooling (g.cout = g.cin); `argmax` records the winning input index for the backward pass. */
  maxPool(x: Tensor, y: Tensor, argmax: Tensor, g: Conv2dGeometry): void;
  maxPoolGrad(dy: Tensor, argmax: Tensor, dx: Tensor, g: Conv2dGeometry): void;
  /** Average pooling; padded cells are not counted (ONNX count_include_pad = 0). */
  avgPool(x: Tensor, y: Tensor, g: Conv2dGeometry): void;
  avgPoolGrad(dy: Tensor, dx: Tensor, g: Conv2dGeometry): void;

  // --- batch normalisation over [outer, C, inner] -----------------------------------------------
  /**
   * Training mode: normalises with the batch statistics, saves mean and 1/sqrt(var + eps) for the
   * backward pass, and moves the running statistics: r = (1 - momentum) * r + momentum * batch
   * (the unbiased variance goes into the running variance, as in PyTorch).
   */
  batchNormTrain(args: BatchNormTrainArgs): void;
  /** Inference mode: y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta. */
  batchNormInfer(args: BatchNormInferArgs): void;
  /** Gradients of the training-mode forward pass (overwrites dx, dgamma, dbeta). */
  batchNormGrad(args: BatchNormGradArgs): void;
}

/** Batch normalisation's tensors over [outer, C, inner]; `inner` is the elements per channel and example (H x W, or 1 after a dense layer). */
interface BatchNormShape {
  x: Tensor;
  gamma: Tensor;
  inner: number;
}

/** batchNormTrain's arguments. */
export interface BatchNormTrainArgs extends BatchNormShape {
  beta: Tensor;
  y: Tensor;
  /** Written for the backward pass: the batch mean and 1/sqrt(var + eps) per channel. */
  mean: Tensor;
  invStd: Tensor;
  /** Moved towards the batch statistics by `momentum`. */
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

/** batchNormInfer's arguments. */
export interface BatchNormInferArgs extends BatchNormShape {
  beta: Tensor;
  y: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  eps: number;
}

/** batchNormGrad's arguments: the training forward pass's input and saved statistics, dE/dy in, gradients out. */
export interface BatchNormGradArgs extends BatchNormShape {
  dy: Tensor;
  mean: Tensor;
  invStd: Tensor;
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/**
 * The integer threshold below which a 32-bit draw drops a unit (dropoutMask): the same on every
 * backend, so that a mask is the same on all of them.
 */
export function dropThreshold(rate: number): number {
  return Math.min(4294967295, Math.floor(rate * 4294967296));
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
