import type { Tensor } from '../backend/backend.ts';
import { hashU32, type Rng } from '../rng.ts';
import { Layer, type ForwardOptions, type LayerSpec } from './layer.ts';

/**
 * Dropout (Srivastava et al. 2014), inverted: in training each unit is kept with probability
 * 1 - rate and scaled by 1/(1 - rate), so inference is the identity and the layer vanishes from
 * the exported model. The mask comes from a counter-based hash of (layer seed, step), so runs are
 * reproducible and every backend draws the same mask.
 */
export class Dropout extends Layer {
  readonly type = 'dropout';
  private seed = 0;
  private mask: Tensor | null = null;

  constructor(readonly rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  protected override init(_inputShape: readonly number[], rng: Rng): void {
    this.seed = rng.fork();
  }

  forward(x: Tensor, opts: ForwardOptions): Tensor {
    if (!opts.training || this.rate === 0) {
      this.mask = null;
      return x;
    }
    const n = x.shape[0];
    const mask = this.backend.view(this.buf('mask', n, this.outputShape), x.shape);
    this.backend.dropoutMask(mask, this.rate, hashU32(this.seed, opts.step));
    const y = this.backend.view(this.buf('y', n, this.outputShape), x.shape);
    this.backend.mul(x, mask, y);
    this.mask = mask;
    return y;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    if (!needInputGrad) return null;
    if (!this.mask) return dy;
    const dx = this.backend.view(this.buf('dx', dy.shape[0], this.outputShape), dy.shape);
    this.backend.mul(dy, this.mask, dx);
    return dx;
  }

  spec(): LayerSpec {
    return { type: 'dropout', rate: this.rate };
  }
}
