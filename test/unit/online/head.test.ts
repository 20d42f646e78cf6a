import { describe, expect, it } from 'vitest';
import { Network } from '../../../src/nn/network.ts';
import { mlp, parseArch } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import {
  featuresOf, fineTune, forwardFlopsPerExample, headOf, ReplayBuffer, trainingFlopsPerExample, type Example,
} from '../../../src/online/index.ts';
import { headStart, planFineTune } from '../../../src/online/plan.ts';

const random = (rng: Rng, label: number): Example => ({ label, pixels: Uint8Array.from({ length: 784 }, () => rng.int(256)) });
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe('which layers fine-tuning trains', () => {
  it('a convolutional network trains its classifier head: the layers after the last convolution, pooling or flatten', () => {
    expect(headStart(new Network(parseArch('cnn')))).toBe(15); // dense 256, batch norm, ReLU, dropout, dense 10, softmax
    expect(headStart(new Network(parseArch('lenet5')))).toBe(7); // dense 120, 84, 10 and their activations
    expect(headStart(new Network(parseArch('edge-cnn')))).toBe(12); // dense 10 and softmax, on 1,600 features
    expect(headStart(new Network(parseArch('edge-cnn-stacked')))).toBe(15); // the default: dense 10 and softmax, on 1,600 features
    expect(headStart(new Network(parseArch('edge-cnn-deep')))).toBe(15); // dense 10 and softmax, on 1,152 features
    expect(headStart(new Network(parseArch('edge-cnn-wide')))).toBe(12); // dense 10 and softmax, on 3,200 features
    expect(headStart(new Network(mlp([784, 800, 10])))).toBe(0);
    expect(planFineTune(new Network(parseArch('cnn')))).toMatchObject({ trainFrom: 15 });
    expect(planFineTune(new Network(mlp([784, 800, 10])))).toMatchObject({ trainFrom: 0, layers: 'all layers' });
    expect(planFineTune(new Network(parseArch('edge-cnn')))).toMatchObject({ trainFrom: 12, lr: 0.01, epochs: 10 }); // a linear head: fewer passes
    expect(planFineTune(new Network(parseArch('edge-cnn-deep')))).toMatchObject({ trainFrom: 15, lr: 0.01, epochs: 10 });
    expect(planFineTune(new Network(parseArch('edge-cnn-stacked')))).toMatchObject({ trainFrom: 15, lr: 0.01, epochs: 10 });
    expect(planFineTune(new Network(parseArch('cnn')))).toMatchObject({ lr: 0.01, epochs: 20 });
  });

  it('counts the FLOPs of training from a layer up, and of the frozen body\'s forward pass', () => {
    const net = new Network(mlp([784, 800, 10]));
    // From the output layer: its 800x10 products twice (dE/dW, forward), no dE/dx below it.
    expect(trainingFlopsPerExample(net, 2)).toBe(2 * 2 * 800 * 10);
    expect(forwardFlopsPerExample(net, 2)).toBe(2 * 784 * 800);
    const lenet = new Network(parseArch('lenet5'));
    expect(trainingFlopsPerExample(lenet, 7)).toBe(2 * (2 * 400 * 120 + 3 * (120 * 84 + 84 * 10)));
    expect(forwardFlopsPerExample(lenet, 7)).toBe(2 * (6 * 25 * 784 + 16 * 150 * 100));
  });
});

describe('fine-tuning by default follows the plan', () => {
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
  const changed = async (net: Network, run: () => Promise<unknown>) => {
    const before = await net.weights();
    await run();
    const after = new Map((await net.weights()).map((w) => [w.name, w.data]));
    return new Map(before.map((w) => [w.name, w.data.some((v, i) => v !== after.get(w.name)![i])]));
  };

  it('a convolutional network: its convolution and batch-norm statistics unchanged, its dense layers moved', async () => {
    const net = small();
    const rng = new Rng(9);
    const replay = ReplayBuffer.seed(Array.from({ length: 40 }, (_, i) => random(rng, i % 10)), 4);
    const moved = await changed(net, () => fineTune(net, Array.from({ length: 40 }, (_, i) => random(rng, i % 10)), replay, { epochs: 2, lr: 0.05, seed: 1 }));
    for (const [name, m] of moved) expect(m, name).toBe(name.startsWith('dense'));
  });

  it('an MLP: every layer trains', async () => {
    const net = new Network(parseArch('784-16-10'), { seed: 2 });
    const rng = new Rng(3);
    const replay = ReplayBuffer.seed(Array.from({ length: 40 }, (_, i) => random(rng, i % 10)), 4);
    const moved = await changed(net, () => fineTune(net, Array.from({ length: 20 }, (_, i) => random(rng, i % 10)), replay, { epochs: 2, seed: 1 }));
    expect([...moved.values()].every(Boolean)).toBe(true);
  });
});

describe('training the head on the body\'s features', () => {
  it('features are the frozen layers\' outputs, exactly as the whole network computes them', async () => {
    const net = new Network(parseArch('lenet5'), { seed: 3 });
    const rng = new Rng(1);
    const x = Float32Array.from({ length: 5 * 784 }, () => rng.uniform());
    const features = await featuresOf(net, 7, x);
    const activations = await net.activations(x);
    close(features, activations[6].data, 0);
  });

  it('only the head changes; the network afterwards answers as the trained head on the features', async () => {
    const net = new Network(parseArch('lenet5'), { seed: 5 });
    const rng = new Rng(2);
    const fresh = Array.from({ length: 40 }, (_, i) => random(rng, i % 10));
    const replay = ReplayBuffer.seed(Array.from({ length: 200 }, (_, i) => random(rng, i % 10)), 20);
    const before = await net.weights();
    const r = await fineTune(net, fresh, replay, { trainFrom: 7, epochs: 3, lr: 0.05, seed: 4 });
    const after = await net.weights();
    for (const [i, w] of before.entries()) {
      const changed = w.data.some((v, j) => v !== after[i].data[j]);
      // conv0, conv1 (the body) unchanged; dense0-2 (the head) trained.
      expect(changed, w.name).toBe(!w.name.startsWith('conv2d'));
    }
    // Every example used (40 new, the replayed ones drawn) had its features computed once.
    expect(r.featureExamples).toBeGreaterThan(40);
    expect(r.featureExamples).toBeLessThanOrEqual(240);
    expect(r.flops).toBe(r.featureExamples * forwardFlopsPerExample(net, 7) + r.examplePasses * trainingFlopsPerExample(net, 7));
    // The whole network now equals the head's answers on the body's features.
    const x = Float32Array.from({ length: 3 * 784 }, () => rng.uniform());
    const head = headOf(net, 7);
    close(await net.predict(x), await head.network.predict(await featuresOf(net, 7, x)));
  });

  it('stops within a FLOP budget that counts the features too', async () => {
    const net = new Network(parseArch('lenet5'), { seed: 6 });
    const rng = new Rng(3);
    const fresh = Array.from({ length: 40 }, (_, i) => random(rng, i % 10));
    const replay = ReplayBuffer.seed(Array.from({ length: 200 }, (_, i) => random(rng, i % 10)), 20);
    const budget = 60 * forwardFlopsPerExample(net, 7) + 200 * trainingFlopsPerExample(net, 7);
    const r = await fineTune(net, fresh, replay, { trainFrom: 7, epochs: 20, seed: 1, maxFlops: budget });
    expect(r.truncated).toBe(true);
    expect(r.flops).toBeLessThanOrEqual(budget);
    expect(r.steps).toBeGreaterThan(0);
  });
});
