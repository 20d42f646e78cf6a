import type { Backend, Tensor } from '../backend/backend.ts';
import { BatchTensors } from '../backend/batch-tensors.ts';
import type { Rng } from '../rng.ts';

/** A trainable tensor and its gradient. */
export interface Param {
  readonly name: string;
  readonly value: Tensor;
  readonly grad: Tensor;
  /** Excluded from weight decay (biases, batch-norm shifts and scales). */
  readonly noDecay?: boolean;
}

/** Non-trainable state that is still part of the model (batch-norm running statistics). */
export interface StateTensor {
  readonly name: string;
  readonly value: Tensor;
}

export interface ForwardOptions {
  /** Training mode: dropout drops, batch norm uses batch statistics. */
  training: boolean;
  /** The optimisation step, so that stochastic layers draw fresh, reproducible noise. */
  step: number;
  /**
   * Overrides batch norm's momentum for the running statistics (training mode only): 1/(k+1) on
   * the k-th of equal batches makes them the plain mean over those batches (weight averaging).
   */
  statisticsMomentum?: number;
}

/**
 * One layer of a feed-forward network. Like micrograd's operations, each layer owns its forward
 * step and, right beside it, the backward step that the chain rule asks of it: given dE/dy it
 * fills the gradients of its own parameters and returns dE/dx for the layer below.
 */
export abstract class Layer {
  abstract readonly type: string;
  /** Shape of one example going in and coming out (the batch dimension is left out). */
  inputShape: number[] = [];
  outputShape: number[] = [];
  /** Set by the network before `build`: how to scale initial weights for the activation that follows. */
  initHint: 'glorot' | 'he' | 'zeros' = 'glorot';
  protected backend!: Backend;
  private workspace = new Map<string, BatchTensors>();

  /** Allocates parameters for this input shape; returns the output shape. */
  build(inputShape: readonly number[], backend: Backend, rng: Rng): number[] {
    this.backend = backend;
    this.inputShape = [...inputShape];
    this.outputShape = this.outputShapeFor(inputShape);
    this.init(inputShape, rng);
    return this.outputShape;
  }

  /** The shape of one output example for this input shape; throws if the input does not fit. */
  abstract outputShapeFor(inputShape: readonly number[]): number[];
  /** Allocates parameters and state (layers without any need not override it). */
  protected init(_inputShape: readonly number[], _rng: Rng): void {}
  abstract forward(x: Tensor, opts: ForwardOptions): Tensor;
  /** Fills parameter gradients; returns dE/dx, or null when `needInputGrad` is false. */
  abstract backward(dy: Tensor, needInputGrad: boolean): Tensor | null;

  params(): Param[] {
    return [];
  }
  /** Non-trainable state saved with the model. */
  state(): StateTensor[] {
    return [];
  }
  /** The serialisable description this layer was built from. */
  abstract spec(): LayerSpec;

  /** A per-batch-size work tensor, allocated once and reused for every later batch of that size. */
  protected buf(key: string, n: number, shape: readonly number[]): Tensor {
    let tensors = this.workspace.get(key);
    if (!tensors) this.workspace.set(key, (tensors = new BatchTensors(this.backend, shape)));
    return tensors.get(n);
  }
}

/** The serialisable description of a layer (what model cards and presets hold). */
export type LayerSpec =
  | { type: 'dense'; units: number; mask?: ArrayLike<number> }
  | { type: 'activation'; fn: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax' }
  | { type: 'dropout'; rate: number }
  | { type: 'conv2d'; filters: number; kernel: number; stride?: number; padding?: number | 'same' }
  | { type: 'maxpool'; size: number; stride?: number }
  | { type: 'avgpool'; size: number; stride?: number }
  | { type: 'flatten' }
  | { type: 'batchnorm'; eps?: number; momentum?: number };
