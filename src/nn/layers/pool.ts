import type { Conv2dGeometry, Tensor } from '../backend/backend.ts';
import { Layer, type LayerSpec } from './layer.ts';

/** Max or average pooling over size x size windows of each channel (no padding). */
export class Pool extends Layer {
  readonly type: 'maxpool' | 'avgpool';
  readonly stride: number;
  private x: Tensor | null = null;
  private argmax: Tensor | null = null;

  constructor(
    readonly kind: 'max' | 'avg',
    readonly size: number,
    stride?: number,
  ) {
    super();
    this.type = kind === 'max' ? 'maxpool' : 'avgpool';
    this.stride = stride ?? size;
    if (!Number.isInteger(size) || size < 1 || !Number.isInteger(this.stride) || this.stride < 1) {
      throw new Error(`${this.type} size and stride must be positive integers, got ${size} and ${this.stride}`);
    }
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 3) throw new Error(`${this.type} needs [channels, height, width] input, got [${inputShape}]`);
    const [c, h, w] = inputShape;
    const outH = Math.floor((h - this.size) / this.stride) + 1;
    const outW = Math.floor((w - this.size) / this.stride) + 1;
    if (outH < 1 || outW < 1) throw new Error(`${this.type} window ${this.size} does not fit a ${h}x${w} input`);
    return [c, outH, outW];
  }

  geometry(n: number): Conv2dGeometry {
    const [c, h, w] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    return {
      n, cin: c, h, w, cout: c, kh: this.size, kw: this.size,
      strideH: this.stride, strideW: this.stride, padTop: 0, padLeft: 0, outH, outW,
    };
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    const y = this.buf('y', n, this.outputShape);
    const g = this.geometry(n);
    if (this.kind === 'max') {
      this.argmax = this.buf('argmax', n, this.outputShape);
      this.backend.maxPool(x, y, this.argmax, g);
    } else {
      this.backend.avgPool(x, y, g);
    }
    this.x = x;
    return y;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    if (!needInputGrad) return null;
    const n = dy.shape[0];
    const dx = this.buf('dx', n, this.inputShape);
    const g = this.geometry(n);
    if (this.kind === 'max') this.backend.maxPoolGrad(dy, this.argmax!, dx, g);
    else this.backend.avgPoolGrad(dy, dx, g);
    return dx;
  }

  spec(): LayerSpec {
    return { type: this.type, size: this.size, stride: this.stride };
  }
}
