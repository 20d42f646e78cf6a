import type { Backend, Tensor } from './backend/backend.ts';
import { sizeOf } from './backend/backend.ts';
import { BatchTensors } from './backend/batch-tensors.ts';
import { CpuBackend } from './backend/cpu/cpu-backend.ts';
import { Activation, layerFromSpec, type StateTensor, type Layer, type LayerSpec, type Param } from './layers/index.ts';
import { Rng } from './rng.ts';

/** A feed-forward network, described as data: the shape of one input and the layers in order. */
export interface NetworkSpec {
  input: number[];
  layers: LayerSpec[];
}

/** A named parameter or state tensor of a network, e.g. `dense0.weight`. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Float64Array;
}

export interface NetworkOptions {
  backend?: Backend;
  /** Seeds the initial weights and every stochastic layer. */
  seed?: number;
  /** `zeros` skips the random initial weights, for a network whose weights are loaded next. */
  init?: 'random' | 'zeros';
}

/**
 * A feed-forward network of layers, trained by backpropagation: the forward pass runs the layers
 * bottom-up; the backward pass walks them top-down, each turning dE/d(output) into dE/d(input) and
 * the gradients of its own weights (the article's dynamic programme, one layer at a time).
 *
 * @example
 * const net = new Network({ input: [784], layers: [
 *   { type: 'dense', units: 800 }, { type: 'activation', fn: 'sigmoid' },
 *   { type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' },
 * ] }, { seed: 1 });
 * const probabilities = await net.predict(pixels); // 10 per image
 */
export class Network {
  readonly backend: Backend;
  readonly layers: Layer[];
  /** Stable names (`dense0`, `activation1`, ...) used for parameters and ONNX nodes. */
  readonly names: string[];
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly inputs: BatchTensors;

  constructor(spec: NetworkSpec, opts: NetworkOptions = {}) {
    if (!spec.layers.length) throw new Error('a network needs at least one layer');
    this.backend = opts.backend ?? new CpuBackend('float32');
    this.inputShape = [...spec.input];
    this.inputs = new BatchTensors(this.backend, this.inputShape);
    const rng = new Rng(opts.seed ?? 0);
    this.layers = spec.layers.map(layerFromSpec);
    const counts = new Map<string, number>();
    this.names = this.layers.map((l) => {
      const k = counts.get(l.type) ?? 0;
      counts.set(l.type, k + 1);
      return `${l.type}${k}`;
    });
    let shape: number[] = this.inputShape;
    this.layers.forEach((layer, i) => {
      layer.initHint = opts.init === 'zeros' ? 'zeros' : followingActivation(this.layers, i) === 'relu' ? 'he' : 'glorot';
      try {
        shape = layer.build(shape, this.backend, rng);
      } catch (e) {
        throw new Error(`layer ${i} (${layer.type}): ${(e as Error).message}`);
      }
    });
    this.outputShape = shape;
  }

  get inputSize(): number {
    return sizeOf(this.inputShape);
  }
  get outputSize(): number {
    return sizeOf(this.outputShape);
  }

  /** The last layer's activation, which decides the loss pairing and the output's meaning. */
  get outputActivation(): string {
    const last = this.layers[this.layers.length - 1];
    return last instanceof Activation ? last.fn : 'linear';
  }

  spec(): NetworkSpec {
    return { input: [...this.inputShape], layers: this.layers.map((l) => l.spec()) };
  }

  /** Runs the layers bottom-up on a batch tensor [N, ...input]. */
  forward(x: Tensor, opts: { training?: boolean; step?: number; statisticsMomentum?: number } = {}): Tensor {
    const o = { training: opts.training ?? false, step: opts.step ?? 0, statisticsMomentum: opts.statisticsMomentum };
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, o);
    return h;
  }

  /**
   * Backpropagation: given dE/d(output of layer `from`), walks down to the first layer, filling
   * every parameter's gradient. The first layer skips dE/d(input), which nobody needs.
   */
  backward(dy: Tensor, from = this.layers.length - 1): void {
    let g: Tensor | null = dy;
    for (let i = from; i >= 0 && g; i--) g = this.layers[i].backward(g, i > 0);
  }

  /** Every trainable parameter, with its network-wide name. */
  params(): Array<{ name: string; param: Param }> {
    return this.layers.flatMap((l, i) => l.params().map((param) => ({ name: `${this.names[i]}.${param.name}`, param })));
  }

  /** Every non-trainable state tensor (batch-norm running statistics). */
  state(): Array<{ name: string; state: StateTensor }> {
    return this.layers.flatMap((l, i) => l.state().map((state) => ({ name: `${this.names[i]}.${state.name}`, state })));
  }

  /** Every tensor a saved model holds, by network-wide name: the parameters, then the state. */
  private savedTensors(): Array<{ name: string; t: Tensor }> {
    return [
      ...this.params().map(({ name, param }) => ({ name, t: param.value })),
      ...this.state().map(({ name, state }) => ({ name, t: state.value })),
    ];
  }

  /** A host copy of every parameter and state tensor, in layer order. */
  async weights(): Promise<NamedTensor[]> {
    return Promise.all(this.savedTensors().map(async ({ name, t }) => ({ name, shape: [...t.shape], data: await this.backend.read(t) })));
  }

  /** Loads weights by name; every parameter and state tensor must be given, with its shape. */
  setWeights(weights: Iterable<{ name: string; shape?: readonly number[]; data: ArrayLike<number> }>): void {
    const byName = new Map([...weights].map((w) => [w.name, w]));
    for (const { name, t } of this.savedTensors()) {
      const w = byName.get(name);
      if (!w) throw new Error(`no weights given for ${name}`);
      if (w.data.length !== t.size) throw new Error(`${name} needs ${t.size} values [${t.shape}], got ${w.data.length}`);
      this.backend.write(t, w.data);
    }
    // A masked dense layer keeps its masked weights at zero, whatever was loaded.
    for (const layer of this.layers) {
      const dense = layer as { mask?: Tensor | null; weight?: Param };
      if (dense.mask && dense.weight) this.backend.mul(dense.weight.value, dense.mask, dense.weight.value);
    }
  }

  /** The input tensor for a batch of n, allocated once per batch size. */
  inputTensor(n: number): Tensor {
    return this.inputs.get(n);
  }

  /**
   * Outputs for host inputs: `input` holds n examples back to back (n * inputSize values).
   * Evaluated in inference mode, in batches of `batchSize`.
   */
  async predict(input: ArrayLike<number>, batchSize = 256): Promise<Float32Array> {
    const n = this.countExamples(input);
    const out = new Float32Array(n * this.outputSize);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const x = this.inputTensor(m);
      this.backend.write(x, sliceOf(input, s * this.inputSize, (s + m) * this.inputSize));
      out.set(await this.backend.read(this.forward(x)), s * this.outputSize);
    }
    return out;
  }

  /**
   * The activity of every layer for the given examples (the article: "taking a look at the
   * activities of hidden layers can tell you a lot"). Entry i is layer i's output.
   */
  async activations(input: ArrayLike<number>): Promise<Array<{ name: string; shape: number[]; data: Float32Array | Float64Array }>> {
    const n = this.countExamples(input);
    const x = this.inputTensor(n);
    this.backend.write(x, input);
    const o = { training: false, step: 0 };
    const result = [];
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      h = this.layers[i].forward(h, o);
      result.push({ name: this.names[i], shape: [...h.shape], data: await this.backend.read(h) });
    }
    return result;
  }

  private countExamples(input: ArrayLike<number>): number {
    const n = input.length / this.inputSize;
    if (!Number.isInteger(n)) throw new Error(`input of ${input.length} values is not a whole number of ${this.inputSize}-value examples`);
    return n;
  }
}

function followingActivation(layers: Layer[], i: number): string | undefined {
  for (let j = i + 1; j < layers.length; j++) {
    const l = layers[j];
    if (l instanceof Activation) return l.fn;
    if (l.type === 'dense' || l.type === 'conv2d') return undefined;
  }
  return undefined;
}

function sliceOf(a: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  if (start === 0 && end === a.length) return a;
  if (ArrayBuffer.isView(a)) return (a as unknown as Float32Array).subarray(start, end);
  return Array.prototype.slice.call(a, start, end) as number[];
}
