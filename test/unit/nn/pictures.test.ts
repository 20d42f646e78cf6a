import { describe, expect, it } from 'vitest';
import { Network } from '../../../src/nn/network.ts';
import { firstLayerImages } from '../../../src/nn/pictures.ts';

describe('firstLayerImages', () => {
  it('a dense layer on a square input: one image per unit, its row scaled to [0, 1]', async () => {
    const net = new Network({ input: [4], layers: [{ type: 'dense', units: 2 }] });
    net.setWeights([
      { name: 'dense0.weight', data: [-1, 0, 1, 3, 2, 2, 2, 2] },
      { name: 'dense0.bias', data: [0, 0] },
    ]);
    const { width, height, images } = await firstLayerImages(net);
    expect([width, height]).toEqual([2, 2]);
    expect(images.map((i) => [...i])).toEqual([[0, 0.25, 0.5, 1], [0, 0, 0, 0]]);
  });

  it('a convolution: each filter with its input channels side by side', async () => {
    const net = new Network({ input: [2, 3, 3], layers: [{ type: 'conv2d', filters: 3, kernel: 2 }] });
    const { width, height, images } = await firstLayerImages(net);
    expect([width, height, images.length]).toEqual([4, 2, 3]);
    for (const img of images) expect(Math.min(...img) === 0 && Math.max(...img) === 1).toBe(true);
  });

  it('refuses a network whose first layer has no weights', async () => {
    const net = new Network({ input: [4], layers: [{ type: 'activation', fn: 'relu' }] });
    await expect(firstLayerImages(net)).rejects.toThrow(/no weights/);
  });
});
