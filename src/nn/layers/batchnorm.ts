import type { Tensor } from '../backend/backend.ts';
import type { Rng } from '../rng.ts';
import { Layer, type StateTensor, type ForwardOptions, type LayerSpec, type Param } from './layer.ts';

/**
 * Batch normalisation (Ioffe & Szegedy 2015) per channel: over [N, C] for dense activations and
 * over [N, C, H, W] for images. Training uses the batch's statistics and moves running estimates
 * (PyTorch's momentum convention, 0.1 by default); inference uses the running estimates.
 */
export class BatchNorm extends Layer {
  readonly type = 'batchnorm';
  gamma!: Param;
  beta!: Param;
  runningMean!: StateTensor;
  runningVar!: StateTensor;
  private x: Tensor | null = null;
  private mean: Tensor | null = null;
  private invStd: Tensor | null = null;

  constructor(
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super();
    if (!(eps > 0)) throw new Error(`batchnorm eps must be positive, got ${eps}`);
    if (!(momentum > 0 && momentum <= 1)) throw new Error(`batchnorm momentum must be in (0, 1], got ${momentum}`);
  }

  private get inner(): number {
    return this.inputShape.slice(1).reduce((a, b) => a * b, 1);
  }

  outputShapeFor(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  protected override init(inputShape: readonly number[], _rng: Rng): void {
    const B = this.backend;
    const c = inputShape[0];
    this.gamma = { name: 'scale', value: B.tensor([c], new Array(c).fill(1)), grad: B.tensor([c]), noDecay: true };
    this.beta = { name: 'bias', value: B.tensor([c]), grad: B.tensor([c]), noDecay: true };
    this.runningMean = { name: 'mean', value: B.tensor([c]) };
    this.runningVar = { name: 'var', value: B.tensor([c], new Array(c).fill(1)) };
    this.mean = B.tensor([c]);
    this.invStd = B.tensor([c]);
  }

  forward(x: Tensor, opts: ForwardOptions): Tensor {
    const B = this.backend;
    const y = B.view(this.buf('y', x.shape[0], this.outputShape), x.shape);
    if (opts.training) {
      B.batchNormTrain({
        x, gamma: this.gamma.value, beta: this.beta.value, y, mean: this.mean!, invStd: this.invStd!,
        runningMean: this.runningMean.value, runningVar: this.runningVar.value, momentum: opts.statisticsMomentum ?? this.momentum, eps: this.eps, inner: this.inner,
      });
    } else {
      B.batchNormInfer({ x, gamma: this.gamma.value, beta: this.beta.value, y, runningMean: this.runningMean.value, runningVar: this.runningVar.value, eps: this.eps, inner: this.inner });
    }
    this.x = x;
    return y;
  }

  backward(dy: Tensor, needInputGrad: boolean): Tensor | null {
    const B = this.backend;
    const dx = B.view(this.buf('dx', dy.shape[0], this.inputShape), dy.shape);
    B.batchNormGrad({ x: this.x!, dy, gamma: this.gamma.value, mean: this.mean!, invStd: this.invStd!, dx, dgamma: this.gamma.grad, dbeta: this.beta.grad, inner: this.inner });
    return needInputGrad ? dx : null;
  }

  override params(): Param[] {
    return [this.gamma, this.beta];
  }
  override state(): StateTensor[] {
    return [this.runningMean, this.runningVar];
  }

  spec(): LayerSpec {
    return { type: 'batchnorm', eps: this.eps, momentum: this.momentum };
  }
}
