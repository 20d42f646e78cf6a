import type { ActivationFn, Tensor } from '../backend/backend.ts';
import { Layer, type LayerSpec } from './layer.ts';

export type ActivationName = ActivationFn | 'softmax';

/**
 * The non-linearity of a layer of neurons: linear, sigmoid (logistic), tanh, ReLU, or a softmax
 * over the outputs. It keeps its input (the logits) so that a cross-entropy loss can take its
 * gradient from there directly, which is both exact and numerically safe.
 */
export class Activation extends Layer {
  readonly type = 'activation';
  /** The last input and output, for the backward pass and for fused losses. */
  x: Tensor | null = null;
  y: Tensor | null = null;

  constructor(readonly fn: ActivationName) {
    super();
    if (!['linear', 'sigmoid', 'tanh', 'relu', 'softmax'].includes(fn)) {
      throw new Error(`unknown activation '${fn}' (expected linear, sigmoid, tanh, relu or softmax)`);
    }
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  forward(x: Tensor): Tensor {
    const y = this.buf('y', x.shape[0], this.outputShape);
    const yv = this.backend.view(y, x.shape);
    if (this.fn === 'softmax') this.backend.softmax(x, yv);
    else this.backend.activation(this.fn, x, yv);
    this.x = x;
    this.y = yv;
    return yv;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    if (!needInputGrad) return null;
    const dx = this.backend.view(this.buf('dx', dy.shape[0], this.outputShape), dy.shape);
    if (this.fn === 'softmax') this.backend.softmaxGrad(this.y!, dy, dx);
    else this.backend.activationGrad(this.fn, this.y!, dy, dx);
    return dx;
  }

  spec(): LayerSpec {
    return { type: 'activation', fn: this.fn };
  }
}
