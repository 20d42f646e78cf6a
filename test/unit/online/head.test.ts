import { describe, expect, it } from 'vitest';
import { Network } from '../../../src/nn/network.ts';
import { parseArch } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { denseHead, fineTune, ReplayBuffer, toBytes, type Example } from '../../../src/online/index.ts';

const small = () =>
  new Network({
    input: [1, 28, 28],
    layers: [
      { type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'activation', fn: 'relu' },
      { type: 'maxpool', size: 4 }, { type: 'flatten' },
      { type: 'dense', units: 5 }, { type: 'activation', fn: 'relu' },
      { type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' },
    ],
  }, { seed: 4 });
const rng = new Rng(9);
const examples = (n: number): Example[] => Array.from({ length: n }, (_, i) => ({ pixels: toBytes(Float32Array.from({ length: 784 }, () => rng.uniform())), label: i % 10 }));

describe('fine-tuning a convolutional network trains its dense head only', () => {
  it('an MLP has no head to split: every layer trains, as before', async () => {
    expect(await denseHead(new Network(parseArch('784-16-10')))).toBeNull();
  });

  it('the head computes, on the frozen features, exactly what the whole network computes', async () => {
    const net = small();
    const split = (await denseHead(net))!;
    const x = Float32Array.from({ length: 3 * 784 }, () => rng.uniform());
    const features = await split.features(x, 3);
    expect(features.length).toBe(3 * 98);
    const whole = await net.predict(x);
    const viaHead = await split.head.predict(features);
    for (let i = 0; i < whole.length; i++) expect(viaHead[i]).toBeCloseTo(whole[i], 6);
  });

  it('after a round the convolution and its batch-norm statistics are unchanged, the dense layers moved', async () => {
    const net = small();
    const before = await net.weights();
    const replay = ReplayBuffer.seed(examples(40), 4);
    const fresh = examples(40);
    await fineTune(net, fresh, replay, { epochs: 2, lr: 0.05, seed: 1 });
    const after = new Map((await net.weights()).map((w) => [w.name, w.data]));
    for (const w of before) {
      const moved = w.data.some((v, i) => v !== after.get(w.name)![i]);
      expect(moved, w.name).toBe(w.name.startsWith('dense'));
    }
  });
});
