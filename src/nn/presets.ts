import type { LayerSpec } from './layers/layer.ts';
import type { NetworkSpec } from './network.ts';

export type HiddenActivation = 'sigmoid' | 'tanh' | 'relu' | 'linear';

export interface ArchOptions {
  /** Activation of the hidden layers of a width list (presets fix their own). */
  activation?: HiddenActivation;
  /** Dropout after every hidden layer of a width list (0 = none). */
  dropout?: number;
  /** Output layer: softmax (single-label, default) or sigmoid (multi-label). */
  output?: 'softmax' | 'sigmoid';
}

/** Named architectures users can ask for with `--arch`. */
export const PRESETS: Record<string, { description: string; build: (o: ArchOptions) => NetworkSpec }> = {
  'mlp-sigmoid': {
    description: "the article's network: 784-800-10, sigmoid hidden units, softmax output",
    build: (o) => mlp([784, 800, 10], { ...o, activation: 'sigmoid' }),
  },
  lenet5: {
    description: 'LeNet-5-like: conv 6@5x5, pool, conv 16@5x5, pool, dense 120-84-10 (ReLU, max pooling)',
    build: (o) => ({
      input: [1, 28, 28],
      layers: [
        { type: 'conv2d', filters: 6, kernel: 5, padding: 2 }, { type: 'activation', fn: 'relu' },
        { type: 'maxpool', size: 2 },
        { type: 'conv2d', filters: 16, kernel: 5 }, { type: 'activation', fn: 'relu' },
        { type: 'maxpool', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 120 }, { type: 'activation', fn: 'relu' },
        { type: 'dense', units: 84 }, { type: 'activation', fn: 'relu' },
        ...dropoutLayer(o.dropout),
        { type: 'dense', units: 10 }, { type: 'activation', fn: o.output ?? 'softmax' },
      ],
    }),
  },
  cnn: {
    description: 'the stronger CNN: 2x(conv 32@3x3, BN, ReLU), pool, 2x(conv 64@3x3, BN, ReLU), pool, dense 256, dropout, 10',
    build: (o) => ({
      input: [1, 28, 28],
      layers: [
        ...convBlock(32, 'same'), ...convBlock(32, 'same'), { type: 'maxpool', size: 2 },
        ...convBlock(64, 'same'), ...convBlock(64, 'same'), { type: 'maxpool', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 256 }, { type: 'batchnorm' }, { type: 'activation', fn: 'relu' },
        ...dropoutLayer(o.dropout ?? 0.4),
        { type: 'dense', units: 10 }, { type: 'activation', fn: o.output ?? 'softmax' },
      ],
    }),
  },
  'edge-cnn': {
    description: 'a compact CNN for the edge: conv 16@3x3, pool, conv 32@3x3, pool, conv 64@3x3 (valid), each with BN and ReLU, dense 10 (about 3 MFLOP per prediction)',
    build: (o) => edgeClassifier([...edgeConvs(), { type: 'flatten' }], o),
  },
  'edge-cnn-dense': {
    description: 'edge-cnn with a dense hidden layer: its three conv blocks, then dense 128 with BN and ReLU, dense 10 (about 3.5 MFLOP per prediction)',
    build: (o) => edgeClassifier([
      ...edgeConvs(), { type: 'flatten' },
      { type: 'dense', units: 128 }, { type: 'batchnorm' }, { type: 'activation', fn: 'relu' },
    ], o),
  },
  'edge-cnn-wide': {
    description: 'edge-cnn with wider later layers: conv 16@3x3, pool, conv 48@3x3, pool, conv 128@3x3 (valid), each with BN and ReLU, dense 10 (about 6 MFLOP per prediction)',
    build: (o) => edgeClassifier([...edgeConvs([16, 48, 128]), { type: 'flatten' }], o),
  },
  'edge-cnn-deep': {
    description: 'edge-cnn one block deeper: its three conv blocks, then conv 128@3x3 (valid) with BN and ReLU, dense 10 (about 4.5 MFLOP per prediction)',
    build: (o) => edgeClassifier([...edgeConvs(), ...convBlock(128, 0), { type: 'flatten' }], o),
  },
  'edge-cnn-stacked': {
    description: 'edge-cnn with two convs at 14 x 14: conv 16@3x3, pool, 2x conv 32@3x3, pool, conv 64@3x3 (valid), each with BN and ReLU, dense 10 (about 6.6 MFLOP per prediction)',
    build: (o) => edgeClassifier([
      ...convBlock(16, 'same'), { type: 'maxpool', size: 2 },
      ...convBlock(32, 'same'), ...convBlock(32, 'same'), { type: 'maxpool', size: 2 },
      ...convBlock(64, 0), { type: 'flatten' },
    ], o),
  },
};

/** edge-cnn's three conv blocks (3x3, BN, ReLU) and two pools, with the given widths, before flattening. */
function edgeConvs([first, second, third]: [number, number, number] = [16, 32, 64]): LayerSpec[] {
  return [
    ...convBlock(first, 'same'), { type: 'maxpool', size: 2 },
    ...convBlock(second, 'same'), { type: 'maxpool', size: 2 },
    ...convBlock(third, 0),
  ];
}

/** An edge preset: a 28 x 28 image through `body`, then (dropout and) dense 10 with the output activation. */
function edgeClassifier(body: LayerSpec[], o: ArchOptions): NetworkSpec {
  return {
    input: [1, 28, 28],
    layers: [...body, ...dropoutLayer(o.dropout), { type: 'dense', units: 10 }, { type: 'activation', fn: o.output ?? 'softmax' }],
  };
}

function convBlock(filters: number, padding: number | 'same'): LayerSpec[] {
  return [{ type: 'conv2d', filters, kernel: 3, padding }, { type: 'batchnorm' }, { type: 'activation', fn: 'relu' }];
}

function dropoutLayer(rate?: number): LayerSpec[] {
  return rate ? [{ type: 'dropout', rate }] : [];
}

/** A multi-layer perceptron from layer widths: [inputs, hidden..., outputs]. */
export function mlp(widths: number[], o: ArchOptions = {}): NetworkSpec {
  if (widths.length < 2) throw new Error('an architecture needs at least an input and an output width');
  const layers: LayerSpec[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push({ type: 'dense', units: widths[i] });
    if (i < widths.length - 1) {
      layers.push({ type: 'activation', fn: o.activation ?? 'sigmoid' });
      layers.push(...dropoutLayer(o.dropout));
    }
  }
  layers.push({ type: 'activation', fn: o.output ?? 'softmax' });
  return { input: [widths[0]], layers };
}

/**
 * `--arch`: a preset name, or layer widths joined by '-' (e.g. 784-800-10).
 *
 * @example
 * parseArch('784-300-100-10', { activation: 'relu', dropout: 0.2 })
 */
export function parseArch(arch: string, o: ArchOptions = {}): NetworkSpec {
  const preset = PRESETS[arch];
  if (preset) return preset.build(o);
  if (!/^\d+(-\d+)+$/.test(arch)) {
    throw new Error(`unknown architecture '${arch}': give widths like 784-800-10 or one of ${Object.keys(PRESETS).join(', ')}`);
  }
  const widths = arch.split('-').map(Number);
  if (widths.some((w) => w < 1)) throw new Error(`layer widths must be positive: '${arch}'`);
  return mlp(widths, o);
}
