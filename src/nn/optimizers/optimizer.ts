import type { Backend, Tensor } from '../backend/backend.ts';
import type { Param } from '../layers/layer.ts';

/** Gradient descent in its three classic forms, applied to every parameter after a backward pass. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

export interface OptimizerOptions {
  /** L2 weight decay, added to the gradient of weights (not of biases). */
  weightDecay?: number;
  /** Momentum coefficient (momentum). */
  momentum?: number;
  nesterov?: boolean;
  /** Adam's moment decay rates and epsilon. */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** One update of every parameter with learning rate `lr`; `step` counts updates from 1. */
  update(params: readonly Param[], lr: number, step: number): void;
}

/** Plain (stochastic) gradient descent: w -= lr * dE/dw. */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  constructor(
    private readonly B: Backend,
    private readonly opts: OptimizerOptions = {},
  ) {}
  update(params: readonly Param[], lr: number): void {
    const wd = this.opts.weightDecay ?? 0;
    for (const p of params) this.B.sgdUpdate(p.value, p.grad, lr, p.noDecay ? 0 : wd);
  }
}

/** Momentum (Polyak's heavy ball, or Nesterov's): a velocity that averages recent gradients. */
export class Momentum implements Optimizer {
  readonly name = 'momentum';
  private velocity = new Map<Param, Tensor>();
  constructor(
    private readonly B: Backend,
    private readonly opts: OptimizerOptions = {},
  ) {}
  update(params: readonly Param[], lr: number): void {
    const wd = this.opts.weightDecay ?? 0;
    for (const p of params) {
      let v = this.velocity.get(p);
      if (!v) this.velocity.set(p, (v = this.B.tensor(p.value.shape)));
      this.B.momentumUpdate(p.value, p.grad, v, lr, this.opts.momentum ?? 0.9, p.noDecay ? 0 : wd, this.opts.nesterov ?? false);
    }
  }
}

/** Adam: per-weight adaptive learning rates from running moments of the gradient. */
export class Adam implements Optimizer {
  readonly name = 'adam';
  private moments = new Map<Param, [Tensor, Tensor]>();
  constructor(
    private readonly B: Backend,
    private readonly opts: OptimizerOptions = {},
  ) {}
  update(params: readonly Param[], lr: number, step: number): void {
    const wd = this.opts.weightDecay ?? 0;
    for (const p of params) {
      let mv = this.moments.get(p);
      if (!mv) this.moments.set(p, (mv = [this.B.tensor(p.value.shape), this.B.tensor(p.value.shape)]));
      this.B.adamUpdate(
        p.value, p.grad, mv[0], mv[1], lr,
        this.opts.beta1 ?? 0.9, this.opts.beta2 ?? 0.999, this.opts.eps ?? 1e-8, step, p.noDecay ? 0 : wd,
      );
    }
  }
}

export function createOptimizer(name: OptimizerName, backend: Backend, opts: OptimizerOptions = {}): Optimizer {
  switch (name) {
    case 'sgd':
      return new Sgd(backend, opts);
    case 'momentum':
      return new Momentum(backend, opts);
    case 'adam':
      return new Adam(backend, opts);
    default:
      throw new Error(`unknown optimizer '${name}' (expected sgd, momentum or adam)`);
  }
}
