import { describe, expect, it } from 'vitest';
import type { LayerSpec } from '../../../src/nn/layers/layer.ts';
import { gradientCheck } from './grad-check.ts';

const dense = (units: number): LayerSpec => ({ type: 'dense', units });
const act = (fn: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ type: 'activation', fn });

// Relative error bound for float64 central differences (float64 leaves room far below 1e-4).
const TOLERANCE = 1e-6;

describe('backpropagation agrees with central finite differences (float64)', () => {
  for (const hidden of ['linear', 'sigmoid', 'tanh', 'relu'] as const) {
    it(`dense + ${hidden} hidden layer, softmax cross-entropy`, () => {
      expect(gradientCheck({ input: [5], layers: [dense(6), act(hidden), dense(4), act('softmax')] }, 'xent')).toBeLessThan(TOLERANCE);
    });
  }

  it('two hidden layers, summed (not averaged) per-example derivatives', () => {
    const spec = { input: [4], layers: [dense(5), act('sigmoid'), dense(5), act('tanh'), dense(3), act('softmax')] };
    expect(gradientCheck(spec, 'xent', { sum: true })).toBeLessThan(TOLERANCE);
  });

  it("the article's squared error through a softmax output", () => {
    expect(gradientCheck({ input: [5], layers: [dense(6), act('sigmoid'), dense(4), act('softmax')] }, 'mse', { targets: 'onehot' })).toBeLessThan(TOLERANCE);
  });

  it('squared error through sigmoid and linear outputs (regression)', () => {
    expect(gradientCheck({ input: [3], layers: [dense(4), act('tanh'), dense(2), act('sigmoid')] }, 'mse', { targets: 'real' })).toBeLessThan(TOLERANCE);
    expect(gradientCheck({ input: [3], layers: [dense(4), act('relu'), dense(2)] }, 'mse', { targets: 'real' })).toBeLessThan(TOLERANCE);
  });

  it('multi-label: independent sigmoid outputs with binary cross-entropy', () => {
    expect(gradientCheck({ input: [4], layers: [dense(5), act('tanh'), dense(3), act('sigmoid')] }, 'xent', { targets: 'binary' })).toBeLessThan(TOLERANCE);
  });

  it('a dense layer with limited connectivity (mask)', () => {
    const mask = Array.from({ length: 6 * 5 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    expect(gradientCheck({ input: [5], layers: [{ type: 'dense', units: 6, mask }, act('sigmoid'), dense(3), act('softmax')] }, 'xent')).toBeLessThan(TOLERANCE);
  });

  it('dropout (the mask is fixed by the step, so the loss is a smooth function of the weights)', () => {
    expect(gradientCheck({ input: [5], layers: [dense(8), act('relu'), { type: 'dropout', rate: 0.5 }, dense(3), act('softmax')] }, 'xent')).toBeLessThan(TOLERANCE);
  });

  it('convolution (stride, padding, channels), max and average pooling, flatten', () => {
    const spec = {
      input: [2, 7, 7],
      layers: [
        { type: 'conv2d', filters: 3, kernel: 3, stride: 2, padding: 1 } as LayerSpec, act('tanh'),
        { type: 'conv2d', filters: 2, kernel: 2, padding: 0 } as LayerSpec,
        { type: 'maxpool', size: 2, stride: 1 } as LayerSpec,
        { type: 'conv2d', filters: 2, kernel: 1 } as LayerSpec,
        { type: 'avgpool', size: 2 } as LayerSpec,
        { type: 'flatten' } as LayerSpec,
        dense(3), act('softmax'),
      ],
    };
    expect(gradientCheck(spec, 'xent', { n: 3 })).toBeLessThan(TOLERANCE);
  });

  it("convolution with 'same' padding", () => {
    const spec = { input: [1, 5, 5], layers: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same' } as LayerSpec, act('sigmoid'), { type: 'flatten' } as LayerSpec, dense(2), act('softmax')] };
    expect(gradientCheck(spec, 'xent')).toBeLessThan(TOLERANCE);
  });

  it('batch normalisation after a dense layer and after a convolution', () => {
    expect(gradientCheck({ input: [4], layers: [dense(5), { type: 'batchnorm' }, act('relu'), dense(3), act('softmax')] }, 'xent', { n: 6 })).toBeLessThan(TOLERANCE);
    const conv = {
      input: [1, 5, 5],
      layers: [{ type: 'conv2d', filters: 2, kernel: 3 } as LayerSpec, { type: 'batchnorm' } as LayerSpec, act('tanh'), { type: 'flatten' } as LayerSpec, dense(2), act('softmax')],
    };
    expect(gradientCheck(conv, 'xent', { n: 3 })).toBeLessThan(TOLERANCE);
  });
});
