import type { Tensor } from '../backend/backend.ts';
import { initWeights } from '../init.ts';
import type { Rng } from '../rng.ts';
import { Layer, type Param, type LayerSpec } from './layer.ts';

/**
 * A fully connected layer of linear neurons: y = x W^T + b, W of shape [units, inputs].
 *
 * With a connectivity `mask` (1 = connected, 0 = not), the article's "limit the connectivities of
 * neurons": masked weights start at zero and their gradient is zeroed, so they stay zero under
 * every optimizer.
 *
 * @example
 * new Dense(800)                          // fully connected
 * new Dense(4, localMask(...))            // each unit sees part of the input
 */
export class Dense extends Layer {
  readonly type = 'dense';
  weight!: Param;
  bias!: Param;
  mask: Tensor | null = null;
  /**
   * Leave dE/dW to the caller: backward then keeps its input and dE/dy in `deferred` instead.
   * Data-parallel replicas set it, and each computes one slice of dE/dW over the whole batch.
   */
  deferWeightGrad = false;
  deferred: { x: Tensor; dy: Tensor } | null = null;
  /**
   * Fills y with x W^T in place of this layer's own product, when set. Data-parallel replicas
   * compute a first layer's product by units over the whole batch, each from its own slice of W
   * (which then never leaves its core's cache), and gather their rows from every slice.
   */
  product: ((y: Tensor) => void) | null = null;
  private x: Tensor | null = null;

  constructor(
    readonly units: number,
    private readonly maskValues?: ArrayLike<number>,
  ) {
    super();
    if (!Number.isInteger(units) || units < 1) throw new Error(`dense layer needs a positive integer number of units, got ${units}`);
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 1) throw new Error(`dense layer needs a flat input, got shape [${inputShape}]: add a flatten layer`);
    return [this.units];
  }

  protected override init(inputShape: readonly number[], rng: Rng): void {
    const inputs = inputShape[0];
    const B = this.backend;
    const w = initWeights(this.units * inputs, inputs, this.units, this.initHint, rng);
    if (this.maskValues) {
      if (this.maskValues.length !== w.length) {
        throw new Error(`connectivity mask has ${this.maskValues.length} entries, expected units x inputs = ${w.length}`);
      }
      for (let i = 0; i < w.length; i++) w[i] *= this.maskValues[i] ? 1 : 0;
      this.mask = B.tensor([this.units, inputs], Array.from(this.maskValues, (v) => (v ? 1 : 0)));
    }
    this.weight = { name: 'weight', value: B.tensor([this.units, inputs], w), grad: B.tensor([this.units, inputs]) };
    this.bias = { name: 'bias', value: B.tensor([this.units]), grad: B.tensor([this.units]), noDecay: true };
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    const y = this.buf('y', n, [this.units]);
    if (this.product) this.product(y);
    else this.backend.matmul(x, this.weight.value, y, false, true, false);
    this.backend.addBias(y, this.bias.value, 1);
    this.x = x;
    return y;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    const B = this.backend;
    const x = this.x!;
    // dE/dW[j, i] = sum over the batch of dE/dy[j] * x[i]: the batch sums per-example derivatives.
    if (this.deferWeightGrad) {
      this.deferred = { x, dy };
    } else {
      B.matmul(dy, x, this.weight.grad, true, false, false);
      if (this.mask) B.mul(this.weight.grad, this.mask, this.weight.grad);
    }
    B.biasGrad(dy, this.bias.grad, 1);
    if (!needInputGrad) return null;
    const dx = this.buf('dx', x.shape[0], this.inputShape);
    B.matmul(dy, this.weight.value, dx, false, false, false);
    return dx;
  }

  override params(): Param[] {
    return [this.weight, this.bias];
  }

  spec(): LayerSpec {
    return this.maskValues ? { type: 'dense', units: this.units, mask: this.maskValues } : { type: 'dense', units: this.units };
  }
}
