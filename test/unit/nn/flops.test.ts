import { describe, expect, it } from 'vitest';
import { networkFlops } from '../../../src/nn/flops.ts';
import { parseArch } from '../../../src/nn/presets.ts';

describe('FLOPs per prediction from a network spec', () => {
  it("the article's 784-800-10: two matrix products with biases, 800 sigmoids, a softmax over 10", () => {
    const { total, layers } = networkFlops(parseArch('784-800-10'));
    expect(layers.map((l) => l.flops)).toEqual([2 * 784 * 800 + 800, 800, 2 * 800 * 10 + 10, 30]);
    expect(total).toBe(1_272_040);
  });

  it('convolution, batch norm, ReLU, pooling, flatten and dense, counted by hand on a 5 x 5 input', () => {
    const { total, layers } = networkFlops({
      input: [1, 5, 5],
      layers: [
        { type: 'conv2d', filters: 2, kernel: 3 }, // 2 x 3 x 3 outputs, each 9 multiply-adds and a bias
        { type: 'batchnorm' },
        { type: 'activation', fn: 'relu' },
        { type: 'maxpool', size: 3 }, // 2 x 1 x 1 outputs, 9 comparisons each
        { type: 'flatten' },
        { type: 'dropout', rate: 0.5 },
        { type: 'dense', units: 3 },
        { type: 'activation', fn: 'softmax' },
      ],
    });
    expect(layers.map((l) => [l.type, l.output, l.flops])).toEqual([
      ['conv2d', [2, 3, 3], 18 * 19],
      ['batchnorm', [2, 3, 3], 36],
      ['activation', [2, 3, 3], 18],
      ['maxpool', [2, 1, 1], 18],
      ['flatten', [2], 0],
      ['dropout', [2], 0],
      ['dense', [3], 3 * 5],
      ['activation', [3], 9],
    ]);
    expect(total).toBe(342 + 36 + 18 + 18 + 15 + 9);
  });

  it("'same' padding and stride: a 3 x 3 conv over 2 channels of 4 x 4 with stride 2", () => {
    const { layers } = networkFlops({ input: [2, 4, 4], layers: [{ type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 'same' }] });
    expect(layers[0].output).toEqual([4, 2, 2]);
    expect(layers[0].flops).toBe(16 * (2 * 2 * 9 + 1));
  });

  it("the edge presets: their layers' shapes, and the deep and stacked ones' added convolutions", () => {
    const shapes = (arch: string) => networkFlops(parseArch(arch)).layers.filter((l) => l.type === 'conv2d' || l.type === 'flatten').map((l) => l.output);
    expect(shapes('edge-cnn')).toEqual([[16, 28, 28], [32, 14, 14], [64, 5, 5], [1600]]);
    expect(shapes('edge-cnn-deep')).toEqual([[16, 28, 28], [32, 14, 14], [64, 5, 5], [128, 3, 3], [1152]]);
    expect(shapes('edge-cnn-wide')).toEqual([[16, 28, 28], [48, 14, 14], [128, 5, 5], [3200]]);
    expect(shapes('edge-cnn-stacked')).toEqual([[16, 28, 28], [32, 14, 14], [32, 14, 14], [64, 5, 5], [1600]]);
    // The deep preset's fourth convolution: 3 x 3 x 128 outputs of 576 multiply-adds and a bias each.
    const deep = networkFlops(parseArch('edge-cnn-deep')).layers.filter((l) => l.type === 'conv2d');
    expect(deep[3].flops).toBe(9 * 128 * (2 * 576 + 1));
    // The stacked preset's second convolution at 14 x 14: 196 x 32 outputs of 288 multiply-adds and a bias each.
    const stacked = networkFlops(parseArch('edge-cnn-stacked')).layers.filter((l) => l.type === 'conv2d');
    expect(stacked[2].flops).toBe(196 * 32 * (2 * 288 + 1));
  });

  it('refuses a spec whose shapes do not fit, as the network would', () => {
    expect(() => networkFlops({ input: [784], layers: [{ type: 'conv2d', filters: 1, kernel: 3 }] })).toThrow(/conv2d needs/);
  });
});
