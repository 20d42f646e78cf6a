import type { LayerSpec } from '../nn/layers/layer.ts';
import { dimsOf, floatTensor, node, OnnxError, readAttrs, tensorValues, type Attrs, type NodeInit, type TensorInit } from './proto.ts';
import type { OnnxNode, OnnxTensor } from './wire.ts';

/**
 * The one place where each layer meets its ONNX form, in both directions (the tfjs-layers idea
 * of a single serialisation registry).
 *
 *   dense          Gemm(x, W[out,in], b, transB=1); with a connectivity mask, Mul(W, mask) feeds Gemm
 *   activation     Sigmoid | Tanh | Relu | Softmax(axis=-1) | Identity (linear)
 *   dropout        nothing: inference is the identity
 *   conv2d         Conv(x, W, b, kernel_shape, strides, pads)
 *   maxpool        MaxPool(kernel_shape, strides)
 *   avgpool        AveragePool(kernel_shape, strides)   (count_include_pad = 0, ONNX's default)
 *   flatten        Flatten(axis=1)
 *   batchnorm      BatchNormalization(x, scale, B, mean, var, epsilon, momentum)
 *
 * The importer also reads the forms other exporters (PyTorch, Keras converters) commonly write
 * for the same layers: MatMul + Add for dense, Reshape to [batch, -1] for flatten, Gemm with
 * transB = 0, Dropout and Identity nodes, Constant nodes for initializers.
 */

/** A layer's weights in the order of `layer.params()` then `layer.state()`. */
export type LayerWeights = Float32Array[];

export interface EmitContext {
  nodes: NodeInit[];
  initializers: TensorInit[];
}

const ACTIVATION_OPS: Record<string, string> = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', softmax: 'Softmax', linear: 'Identity' };
const OP_ACTIVATIONS: Record<string, 'sigmoid' | 'tanh' | 'relu' | 'softmax' | 'linear'> = {
  Sigmoid: 'sigmoid', Tanh: 'tanh', Relu: 'relu', Softmax: 'softmax', Identity: 'linear',
};

/**
 * Emits the nodes of one layer reading tensor `input`; returns the name of its output tensor.
 * `weights` holds the layer's tensors with their shapes, in params-then-state order.
 */
export function emitLayer(
  spec: LayerSpec, name: string, input: string, output: string,
  weights: Array<{ shape: readonly number[]; data: ArrayLike<number> }>, ctx: EmitContext,
): string {
  const init = (suffix: string, i: number) => {
    const t = floatTensor(`${name}.${suffix}`, weights[i].shape, weights[i].data);
    ctx.initializers.push(t);
    return t.name;
  };
  switch (spec.type) {
    case 'dense': {
      let w = init('weight', 0);
      const b = init('bias', 1);
      if (spec.mask) {
        const mask = floatTensor(`${name}.mask`, weights[0].shape, Array.from(spec.mask, (v) => (v ? 1 : 0)));
        ctx.initializers.push(mask);
        ctx.nodes.push(node('Mul', `${name}.connectivity`, [w, mask.name], [`${name}.masked_weight`]));
        w = `${name}.masked_weight`;
      }
      ctx.nodes.push(node('Gemm', name, [input, w, b], [output], { transB: 1 }));
      return output;
    }
    case 'activation': {
      const attrs: Attrs = spec.fn === 'softmax' ? { axis: -1 } : {};
      ctx.nodes.push(node(ACTIVATION_OPS[spec.fn], name, [input], [output], attrs));
      return output;
    }
    case 'dropout':
      return input;
    case 'conv2d': {
      const [, , k] = weights[0].shape;
      const pad = spec.padding === 'same' ? (spec.kernel - 1) / 2 : (spec.padding ?? 0);
      const stride = spec.stride ?? 1;
      ctx.nodes.push(node('Conv', name, [input, init('weight', 0), init('bias', 1)], [output], {
        kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad],
      }));
      return output;
    }
    case 'maxpool':
    case 'avgpool': {
      const s = spec.stride ?? spec.size;
      ctx.nodes.push(node(spec.type === 'maxpool' ? 'MaxPool' : 'AveragePool', name, [input], [output], {
        kernel_shape: [spec.size, spec.size], strides: [s, s],
      }));
      return output;
    }
    case 'flatten':
      ctx.nodes.push(node('Flatten', name, [input], [output], { axis: 1 }));
      return output;
    case 'batchnorm': {
      const ins = [input, init('scale', 0), init('bias', 1), init('mean', 2), init('var', 3)];
      // ONNX's momentum weighs the old running value; ours (PyTorch's) weighs the new batch.
      ctx.nodes.push(node('BatchNormalization', name, ins, [output], { epsilon: spec.eps ?? 1e-5, momentum: 1 - (spec.momentum ?? 0.1) }, ['epsilon', 'momentum']));
      return output;
    }
  }
}

/** What the importer recognised at one position of the node chain. */
export interface Recognised {
  layers: Array<{ spec: LayerSpec; weights: LayerWeights }>;
  /** Nodes consumed. */
  consumed: number;
  /** The tensor the last consumed node produces. */
  output: string;
}

/** Initializers by name, and how to read one as floats with an expected shape. */
export class Initializers {
  constructor(private readonly byName: Map<string, OnnxTensor>) {}

  has(name: string): boolean {
    return this.byName.has(name);
  }
  dims(name: string): number[] {
    return dimsOf(this.get(name));
  }
  floats(name: string): Float32Array {
    const v = tensorValues(this.get(name));
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }
  ints(name: string): number[] {
    return Array.from(tensorValues(this.get(name)));
  }
  private get(name: string): OnnxTensor {
    const t = this.byName.get(name);
    if (!t) throw new OnnxError(`tensor '${name}' is neither produced by a node nor an initializer`);
    return t;
  }
}

/**
 * Recognises the layer(s) starting at `nodes[i]`, which must read tensor `input`, given the
 * per-example shape of that tensor. Throws an OnnxError naming the operator it cannot represent.
 */
export function recognise(nodes: OnnxNode[], i: number, input: string, shape: readonly number[], inits: Initializers): Recognised {
  const n = nodes[i];
  const label = `node '${n.name || `#${i}`}' (${n.opType})`;
  const attrs = typedAttrs(readAttrs(n), label);
  const next = nodes[i + 1];
  const one = (spec: LayerSpec, weights: LayerWeights = []): Recognised => ({ layers: [{ spec, weights }], consumed: 1, output: n.output[0] });

  if (n.opType !== 'Mul' && n.input[0] !== input) {
    throw new OnnxError(`${label} does not read the previous layer's output '${input}': only a chain of layers can be imported`);
  }

  switch (n.opType) {
    case 'Mul': {
      // Masked dense: Mul(W, mask) -> Gemm(x, masked, b).
      const [wName, mName] = n.input;
      if (!inits.has(wName) || !inits.has(mName) || next?.opType !== 'Gemm' || next.input[1] !== n.output[0]) {
        throw new OnnxError(`${label}: only Mul(weight, mask) feeding a Gemm (a masked dense layer) is supported`);
      }
      const gemm = recognise(nodes, i + 1, input, shape, new MaskedInitializers(inits, n.output[0], wName));
      const mask = inits.floats(mName);
      const layer = gemm.layers[0];
      if (layer.spec.type !== 'dense') throw new OnnxError(`${label}: expected a dense layer after the mask`);
      if (mask.length !== layer.weights[0].length) throw new OnnxError(`${label}: mask has ${mask.length} entries, the weight ${layer.weights[0].length}`);
      const maskValues = Array.from(mask, (v) => (v ? 1 : 0));
      return { layers: [{ spec: { type: 'dense', units: layer.spec.units, mask: maskValues }, weights: layer.weights }], consumed: 2, output: gemm.output };
    }
    case 'Gemm': {
      if (attrs.int('transA', 0) !== 0 || attrs.float('alpha', 1) !== 1 || attrs.float('beta', 1) !== 1) {
        throw new OnnxError(`${label}: only Gemm with transA = 0, alpha = 1, beta = 1 is supported`);
      }
      if (shape.length !== 1) throw new OnnxError(`${label}: Gemm needs a flat input, got per-example shape [${shape}]`);
      const w = inits.floats(n.input[1]);
      const [r, c] = inits.dims(n.input[1]);
      const transB = attrs.int('transB', 0) === 1;
      const units = transB ? r : c;
      const inputs = transB ? c : r;
      if (inputs !== shape[0]) throw new OnnxError(`${label}: weight expects ${inputs} inputs, the previous layer gives ${shape[0]}`);
      const weight = transB ? w : transpose(w, r, c);
      const bias = n.input[2] ? biasOf(inits, n.input[2], units, label) : new Float32Array(units);
      return one({ type: 'dense', units }, [weight, bias]);
    }
    case 'MatMul': {
      if (shape.length !== 1) throw new OnnxError(`${label}: MatMul needs a flat input, got per-example shape [${shape}]`);
      const [r, c] = inits.dims(n.input[1]);
      if (r !== shape[0]) throw new OnnxError(`${label}: weight expects ${r} inputs, the previous layer gives ${shape[0]}`);
      const weight = transpose(inits.floats(n.input[1]), r, c);
      if (next?.opType === 'Add' && next.input.includes(n.output[0])) {
        const b = next.input.find((s) => s !== n.output[0])!;
        return { layers: [{ spec: { type: 'dense', units: c }, weights: [weight, biasOf(inits, b, c, label)] }], consumed: 2, output: next.output[0] };
      }
      return one({ type: 'dense', units: c }, [weight, new Float32Array(c)]);
    }
    case 'Sigmoid':
    case 'Tanh':
    case 'Relu':
    case 'Identity':
      return one({ type: 'activation', fn: OP_ACTIVATIONS[n.opType] });
    case 'Softmax': {
      const axis = attrs.int('axis', -1);
      if (axis !== -1 && axis !== shape.length) throw new OnnxError(`${label}: only a softmax over the last axis is supported (axis ${axis})`);
      return one({ type: 'activation', fn: 'softmax' });
    }
    case 'Dropout':
      return { layers: [], consumed: 1, output: n.output[0] };
    case 'Flatten': {
      if (attrs.int('axis', 1) !== 1) throw new OnnxError(`${label}: only Flatten with axis = 1 is supported`);
      return one({ type: 'flatten' });
    }
    case 'Reshape': {
      const target = inits.ints(n.input[1]);
      const size = shape.reduce((a, b) => a * b, 1);
      if (target.length === 2 && (target[0] === -1 || target[0] === 0) && (target[1] === -1 || target[1] === size)) return one({ type: 'flatten' });
      if (target.length === 2 && target[1] === -1 && target[0] > 0) {
        throw new OnnxError(`${label}: Reshape to a fixed batch size ${target[0]} is not supported; use [-1, ${size}] or Flatten`);
      }
      throw new OnnxError(`${label}: only a Reshape that flattens each example ([-1, ${size}]) is supported, got [${target}]`);
    }
    case 'Conv': {
      if (shape.length !== 3) throw new OnnxError(`${label}: Conv needs [channels, height, width] input, got [${shape}]`);
      const [filters, cin, kh, kw] = inits.dims(n.input[1]);
      const strides = attrs.ints('strides', 2, [1, 1]);
      const pads = attrs.ints('pads', 4, [0, 0, 0, 0]);
      const dil = attrs.ints('dilations', 2, [1, 1]);
      if (kh !== kw) throw new OnnxError(`${label}: only square kernels are supported, got ${kh}x${kw}`);
      const group = attrs.int('group', 1);
      if (group !== 1) throw new OnnxError(`${label}: grouped convolution (group ${group}) is not supported`);
      if (dil.some((d) => d !== 1)) throw new OnnxError(`${label}: dilated convolution is not supported`);
      if (strides[0] !== strides[1]) throw new OnnxError(`${label}: only equal strides are supported, got [${strides}]`);
      if (pads.some((p) => p !== pads[0])) throw new OnnxError(`${label}: only symmetric padding is supported, got [${pads}]`);
      const autoPad = attrs.string('auto_pad', 'NOTSET');
      if (autoPad && autoPad !== 'NOTSET') throw new OnnxError(`${label}: auto_pad ${autoPad} is not supported; give explicit pads`);
      if (cin !== shape[0]) throw new OnnxError(`${label}: weight expects ${cin} channels, the input has ${shape[0]}`);
      const bias = n.input[2] ? biasOf(inits, n.input[2], filters, label) : new Float32Array(filters);
      return one({ type: 'conv2d', filters, kernel: kh, stride: strides[0], padding: pads[0] }, [inits.floats(n.input[1]), bias]);
    }
    case 'MaxPool':
    case 'AveragePool': {
      const k = attrs.ints('kernel_shape', 2);
      const strides = attrs.ints('strides', 2, k);
      const pads = attrs.ints('pads', 4, [0, 0, 0, 0]);
      if (k[0] !== k[1]) throw new OnnxError(`${label}: only square pooling windows are supported`);
      if (strides[0] !== strides[1]) throw new OnnxError(`${label}: only equal strides are supported`);
      if (pads.some((p) => p !== 0) || attrs.int('ceil_mode', 0) !== 0) throw new OnnxError(`${label}: padded or ceil-mode pooling is not supported`);
      if (attrs.int('count_include_pad', 0) !== 0 || attrs.ints('dilations', 2, [1, 1]).some((d) => d !== 1)) {
        throw new OnnxError(`${label}: count_include_pad and dilations are not supported`);
      }
      if (n.output.length > 1 && n.output[1]) throw new OnnxError(`${label}: the Indices output is not supported`);
      return one({ type: n.opType === 'MaxPool' ? 'maxpool' : 'avgpool', size: k[0], stride: strides[0] });
    }
    case 'BatchNormalization': {
      if (attrs.int('training_mode', 0) !== 0) throw new OnnxError(`${label}: training-mode batch normalisation is not supported`);
      if (n.input.length !== 5) throw new OnnxError(`${label}: expected 5 inputs (x, scale, B, mean, var), got ${n.input.length}`);
      const c = shape[0];
      const [scale, bias, mean, variance] = n.input.slice(1).map((s) => biasOf(inits, s, c, label));
      const eps = attrs.float('epsilon', 1e-5);
      const momentum = 1 - attrs.float('momentum', 0.9);
      return one({ type: 'batchnorm', eps, momentum }, [scale, bias, mean, variance]);
    }
    default:
      throw new OnnxError(`unsupported ONNX operator '${n.opType}' (node '${n.name || `#${i}`}'): this network cannot be represented by the core`);
  }
}

/**
 * A node's attributes read as the types its operator defines: an attribute of another type or
 * size (pads given as one integer, a kernel_shape of three) is an OnnxError naming it, never a
 * crash further on.
 */
function typedAttrs(attrs: Attrs, label: string) {
  const wrong = (name: string, what: string) => new OnnxError(`${label}: attribute '${name}' must be ${what}, got ${JSON.stringify(attrs[name])}`);
  return {
    int(name: string, fallback: number): number {
      const v = attrs[name] ?? fallback;
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrong(name, 'an integer');
      return v;
    },
    float(name: string, fallback: number): number {
      const v = attrs[name] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong(name, 'a finite number');
      return v;
    },
    /** A list of `length` integers; required when no fallback is given. */
    ints(name: string, length: number, fallback?: number[]): number[] {
      const v = attrs[name] ?? fallback;
      if (!Array.isArray(v) || v.length !== length || !v.every((x) => Number.isSafeInteger(x))) throw wrong(name, `a list of ${length} integers`);
      return v;
    },
    string(name: string, fallback: string): string {
      const v = attrs[name] ?? fallback;
      if (typeof v !== 'string') throw wrong(name, 'a string');
      return v;
    },
  };
}

/** For a masked Gemm: its weight input is the Mul's output, which stands for the stored weight. */
class MaskedInitializers extends Initializers {
  constructor(
    private readonly base: Initializers,
    private readonly alias: string,
    private readonly target: string,
  ) {
    super(new Map());
  }
  override has(name: string): boolean {
    return this.base.has(name === this.alias ? this.target : name);
  }
  override dims(name: string): number[] {
    return this.base.dims(name === this.alias ? this.target : name);
  }
  override floats(name: string): Float32Array {
    return this.base.floats(name === this.alias ? this.target : name);
  }
  override ints(name: string): number[] {
    return this.base.ints(name);
  }
}

function biasOf(inits: Initializers, name: string, n: number, label: string): Float32Array {
  const b = inits.floats(name);
  if (b.length !== n) throw new OnnxError(`${label}: '${name}' has ${b.length} values, expected ${n}`);
  return b;
}

function transpose(w: Float32Array, r: number, c: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = w[i * c + j];
  return t;
}
