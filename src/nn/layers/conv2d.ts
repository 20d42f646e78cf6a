import type { Conv2dGeometry, Tensor } from '../backend/backend.ts';
import { initWeights } from '../init.ts';
import type { Rng } from '../rng.ts';
import { Layer, type LayerSpec, type Param } from './layer.ts';

/**
 * 2-D convolution over NCHW images: the article's limited connectivity taken to its conclusion.
 * Each output unit sees a kernel x kernel window of every input channel, and all units of a
 * channel share their weights. Weights are [filters, channels, kernel, kernel].
 */
export class Conv2d extends Layer {
  readonly type = 'conv2d';
  weight!: Param;
  bias!: Param;
  readonly stride: number;
  /** Zero padding on every side, in pixels. */
  readonly pad: number;
  private x: Tensor | null = null;

  constructor(
    readonly filters: number,
    readonly kernel: number,
    stride = 1,
    readonly padding: number | 'same' = 0,
  ) {
    super();
    this.stride = stride;
    for (const [k, v] of Object.entries({ filters, kernel, stride })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`conv2d ${k} must be a positive integer, got ${v}`);
    }
    if (padding === 'same' && kernel % 2 === 0) throw new Error(`conv2d padding 'same' needs an odd kernel, got ${kernel}`);
    this.pad = padding === 'same' ? (kernel - 1) / 2 : padding;
    if (!Number.isInteger(this.pad) || this.pad < 0) throw new Error(`conv2d padding must be a non-negative integer or 'same', got ${padding}`);
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 3) throw new Error(`conv2d needs [channels, height, width] input, got [${inputShape}]`);
    const [, h, w] = inputShape;
    const outH = Math.floor((h + 2 * this.pad - this.kernel) / this.stride) + 1;
    const outW = Math.floor((w + 2 * this.pad - this.kernel) / this.stride) + 1;
    if (outH < 1 || outW < 1) throw new Error(`conv2d kernel ${this.kernel} does not fit a ${h}x${w} input`);
    return [this.filters, outH, outW];
  }

  protected override init(inputShape: readonly number[], rng: Rng): void {
    const [cin] = inputShape;
    const kk = this.kernel * this.kernel;
    const B = this.backend;
    const shape = [this.filters, cin, this.kernel, this.kernel];
    const wv = initWeights(this.filters * cin * kk, cin * kk, this.filters * kk, this.initHint, rng);
    this.weight = { name: 'weight', value: B.tensor(shape, wv), grad: B.tensor(shape) };
    this.bias = { name: 'bias', value: B.tensor([this.filters]), grad: B.tensor([this.filters]), noDecay: true };
  }

  geometry(n: number): Conv2dGeometry {
    const [cin, h, w] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    return {
      n, cin, h, w, cout: this.filters, kh: this.kernel, kw: this.kernel,
      strideH: this.stride, strideW: this.stride, padTop: this.pad, padLeft: this.pad, outH, outW,
    };
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    const y = this.buf('y', n, this.outputShape);
    this.backend.conv2d(x, this.weight.value, y, this.geometry(n));
    this.backend.addBias(y, this.bias.value, this.outputShape[1] * this.outputShape[2]);
    this.x = x;
    return y;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    const B = this.backend;
    const x = this.x!;
    const g = this.geometry(x.shape[0]);
    B.conv2dGradWeight(x, dy, this.weight.grad, g);
    B.biasGrad(dy, this.bias.grad, g.outH * g.outW);
    if (!needInputGrad) return null;
    const dx = this.buf('dx', g.n, this.inputShape);
    B.conv2dGradInput(dy, this.weight.value, dx, g);
    return dx;
  }

  override params(): Param[] {
    return [this.weight, this.bias];
  }

  spec(): LayerSpec {
    return { type: 'conv2d', filters: this.filters, kernel: this.kernel, stride: this.stride, padding: this.padding };
  }
}
