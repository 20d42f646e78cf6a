import type { LayerSpec } from '../../../src/nn/layers/layer.ts';
import type { NetworkSpec } from '../../../src/nn/network.ts';
import { Rng } from '../../../src/nn/rng.ts';

/** Every layer type and activation the core supports, in shapes that exercise each option. */
export function supportedShapes(): Array<{ name: string; spec: NetworkSpec }> {
  const act = (fn: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ type: 'activation', fn });
  const rng = new Rng(11);
  const mask = Array.from({ length: 7 * 12 }, () => (rng.uniform() < 0.6 ? 1 : 0));
  return [
    { name: "the article's sigmoid MLP (small)", spec: { input: [12], layers: [{ type: 'dense', units: 9 }, act('sigmoid'), { type: 'dense', units: 4 }, act('softmax')] } },
    { name: 'tanh + relu + linear, dropout', spec: { input: [6], layers: [{ type: 'dense', units: 8 }, act('tanh'), { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 5 }, act('relu'), { type: 'dense', units: 3 }, act('linear')] } },
    { name: 'multi-label sigmoid outputs', spec: { input: [5], layers: [{ type: 'dense', units: 4 }, act('relu'), { type: 'dense', units: 3 }, act('sigmoid')] } },
    { name: 'masked dense (limited connectivity)', spec: { input: [12], layers: [{ type: 'dense', units: 7, mask }, act('sigmoid'), { type: 'dense', units: 3 }, act('softmax')] } },
    { name: 'linear output without activation layer', spec: { input: [4], layers: [{ type: 'dense', units: 2 }] } },
    {
      name: 'conv (stride, padding, same), max/avg pool, batch norm, flatten',
      spec: {
        input: [2, 9, 9],
        layers: [
          { type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, act('relu'),
          { type: 'maxpool', size: 2 },
          { type: 'conv2d', filters: 3, kernel: 2, stride: 2, padding: 1 }, act('tanh'),
          { type: 'avgpool', size: 2, stride: 1 },
          { type: 'flatten' }, { type: 'dense', units: 6 }, { type: 'batchnorm' }, act('sigmoid'), { type: 'dropout', rate: 0.5 },
          { type: 'dense', units: 3 }, act('softmax'),
        ],
      },
    },
  ];
}

/** Randomises batch-norm statistics so that inference exercises them (fresh ones are 0 and 1). */
export function randomInputs(n: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * size }, () => rng.normal());
}
