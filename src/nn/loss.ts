import type { Tensor } from './backend/backend.ts';
import { BatchTensors } from './backend/batch-tensors.ts';
import { Activation } from './layers/activation.ts';
import type { Network } from './network.ts';

/**
 * 'mse': the article's squared error E = 1/2 sum (t - y)^2, back-propagated through whatever
 * output layer the network has.
 * 'xent': cross-entropy, paired with the output layer it belongs to: softmax (single-label,
 * -sum t log y) or independent sigmoids (multi-label, binary cross-entropy per output). Its
 * gradient with respect to the logits is simply (y - t), taken directly at the logits.
 */
export type LossName = 'mse' | 'xent';

export interface LossGradient {
  /** dE/d(output of layer `from`). */
  grad: Tensor;
  from: number;
}

export class Loss {
  private readonly output: Activation | null;
  private readonly grads: BatchTensors;

  constructor(
    readonly name: LossName,
    private readonly net: Network,
  ) {
    const last = net.layers[net.layers.length - 1];
    this.output = last instanceof Activation ? last : null;
    if (name === 'xent' && !(this.output && (this.output.fn === 'softmax' || this.output.fn === 'sigmoid'))) {
      throw new Error('cross-entropy needs a softmax output (single-label) or a sigmoid output (multi-label)');
    }
    if (name !== 'xent' && name !== 'mse') throw new Error(`unknown loss '${name}' (expected xent or mse)`);
    this.grads = new BatchTensors(net.backend, net.outputShape);
  }

  /** The multi-label case: independent sigmoid outputs, judged per output. */
  get multiLabel(): boolean {
    return this.output?.fn === 'sigmoid';
  }

  /**
   * Adds the batch's summed loss into `loss[0]` and returns the gradient to back-propagate,
   * scaled by `scale` (1/N averages the per-example derivatives, 1 sums them).
   */
  gradient(y: Tensor, t: Tensor, loss: Tensor, scale: number): LossGradient {
    const B = this.net.backend;
    const n = y.shape[0];
    const g = this.grads.get(n);
    if (this.name === 'mse') {
      B.squaredError(y, t, g, loss, scale);
      return { grad: g, from: this.net.layers.length - 1 };
    }
    const z = this.output!.x!;
    if (this.output!.fn === 'softmax') B.softmaxCrossEntropy(z, t, g, loss, scale);
    else B.sigmoidCrossEntropy(z, t, g, loss, scale);
    return { grad: g, from: this.net.layers.length - 2 };
  }

  /**
   * Adds the batch's summed loss into `loss[0]`, for evaluation: no backward pass follows. The
   * backends' loss kernels are fused (the loss and its derivative at the outputs in one pass over
   * them, no dearer than the loss alone), so the derivative lands in scratch nothing reads.
   */
  measure(y: Tensor, t: Tensor, loss: Tensor): void {
    this.gradient(y, t, loss, 1);
  }

  /** Frees the per-batch-size scratch. */
  dispose(): void {
    this.grads.dispose();
  }
}
