import type { Tensor } from '../backend/backend.ts';
import { Layer, type LayerSpec } from './layer.ts';

/** [N, C, H, W] -> [N, C*H*W], sharing storage (no copy in either direction). */
export class Flatten extends Layer {
  readonly type = 'flatten';

  outputShapeFor(inputShape: readonly number[]): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }

  forward(x: Tensor): Tensor {
    return this.backend.view(x, [x.shape[0], ...this.outputShape]);
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    return needInputGrad ? this.backend.view(dy, [dy.shape[0], ...this.inputShape]) : null;
  }

  spec(): LayerSpec {
    return { type: 'flatten' };
  }
}
