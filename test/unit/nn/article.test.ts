import { describe, expect, it } from 'vitest';
import { CpuBackend, type CpuTensor } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { Network } from '../../../src/nn/network.ts';
import { LinearNeuron, SigmoidNeuron, sigmoid, sigmoidDerivative } from '../../../src/nn/neuron.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { Trainer } from '../../../src/nn/train.ts';

describe("the article's worked examples", () => {
  it('the dining-hall problem: a linear neuron learns the prices of burgers, fries and soda from meal totals (delta rule)', () => {
    const prices = [3.5, 1.75, 1.25];
    const rng = new Rng(2024);
    const meals = Array.from({ length: 40 }, () => {
      const x = [rng.int(5), rng.int(5), rng.int(5)];
      return { x, t: x[0] * prices[0] + x[1] * prices[1] + x[2] * prices[2] };
    });
    const neuron = new LinearNeuron(3);
    let error = Infinity;
    // A step size small enough for the summed gradient of 40 meals (the largest curvature is about 1,500).
    for (let epoch = 0; epoch < 20000 && error > 1e-14; epoch++) error = neuron.deltaRule(meals, 0.001);
    neuron.weights.forEach((w, i) => expect(w).toBeCloseTo(prices[i], 6));
  });

  it('stochastic (one meal at a time) delta rule reaches the same prices', () => {
    const prices = [3.5, 1.75, 1.25];
    const rng = new Rng(7);
    const neuron = new LinearNeuron(3);
    for (let i = 0; i < 20000; i++) {
      const x = [rng.int(5), rng.int(5), rng.int(5)];
      neuron.deltaRule([{ x, t: x[0] * prices[0] + x[1] * prices[1] + x[2] * prices[2] }], 0.01);
    }
    neuron.weights.forEach((w, i) => expect(w).toBeCloseTo(prices[i], 4));
  });

  it("the sigmoid neuron's derivative is y(1 - y), checked numerically", () => {
    for (const z of [-6, -2, -0.5, 0, 0.3, 1, 4]) {
      const h = 1e-6;
      const numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h);
      expect(sigmoidDerivative(sigmoid(z))).toBeCloseTo(numeric, 9);
    }
  });

  it("the sigmoid neuron's update rule is gradient descent on the squared error", () => {
    const rng = new Rng(5);
    const examples = Array.from({ length: 6 }, () => ({ x: [rng.normal(), rng.normal()], t: rng.uniform() }));
    const neuron = new SigmoidNeuron(2);
    neuron.weights[0] = 0.4;
    neuron.weights[1] = -0.7;
    const error = (w: number[]) => examples.reduce((e, { x, t }) => e + 0.5 * (t - sigmoid(w[0] * x[0] + w[1] * x[1])) ** 2, 0);
    const before = [...neuron.weights];
    const epsilon = 0.1;
    neuron.update(examples, epsilon);
    for (let i = 0; i < 2; i++) {
      const h = 1e-6;
      const up = [...before];
      const down = [...before];
      up[i] += h;
      down[i] -= h;
      const grad = (error(up) - error(down)) / (2 * h);
      expect(neuron.weights[i] - before[i]).toBeCloseTo(-epsilon * grad, 8);
    }
  });

  it('the batched core applies the same delta rule as the single neuron (dense layer, squared error, summed, plain SGD)', () => {
    const B = new CpuBackend('float64');
    const net = new Network({ input: [3], layers: [{ type: 'dense', units: 1 }] }, { backend: B, seed: 1 });
    const neuron = new LinearNeuron(3);
    const w0 = (net.params()[0].param.value as CpuTensor).data;
    neuron.weights.forEach((_, i) => (neuron.weights[i] = w0[i]));
    const meals = [
      { x: [1, 2, 0], t: 7 },
      { x: [0, 1, 3], t: 5.5 },
      { x: [2, 0, 1], t: 8.25 },
    ];
    const trainer = new Trainer(net, { loss: 'mse', optimizer: 'sgd', reduction: 'sum' });
    trainer.stepHost(meals.flatMap((m) => m.x), meals.map((m) => m.t), meals.length, 0.01);
    // The network's bias starts at 0, so before the step both compute the same outputs.
    neuron.deltaRule(meals, 0.01);
    const w = (net.params()[0].param.value as CpuTensor).data;
    neuron.weights.forEach((v, i) => expect(w[i]).toBeCloseTo(v, 12));
  });
});
