import { describe, expect, it } from 'vitest';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { evaluate, fit, oneHot, type Dataset } from '../../../src/nn/train.ts';

// Early stopping: training stops `patience` epochs after the validation loss last improved, and the
// network ends with the weights of that best epoch, the same weights as a run stopped there.

const spec: NetworkSpec = { input: [4], layers: [{ type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] };

function data(n: number, flip: boolean): Dataset {
  const rng = new Rng(7);
  const x = new Float32Array(n * 4);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const labels = Array.from({ length: n }, (_, i) => Number(x[i * 4] > 0.5) ^ Number(flip));
  return { n, x, y: oneHot(labels, 2) };
}

// Validation labels are the training labels flipped: the better the network learns, the worse it validates.
const train = data(64, false);
const validation = data(64, true);
const options = { loss: 'xent' as const, optimizer: 'sgd' as const, lr: 0.5, batchSize: 16, seed: 3 };

describe('fit with early stopping', () => {
  it('stops `patience` epochs after the best validation loss and restores that epoch\'s weights', async () => {
    const patience = 2;
    const net = new Network(spec, { seed: 1 });
    const history = await fit(net, train, { ...options, epochs: 20, validation, earlyStopping: { patience } });
    const losses = history.epochs.map((e) => e.validationLoss!);
    const best = losses.indexOf(Math.min(...losses)) + 1;

    expect(history.stoppedEarly).toBe(true);
    expect(history.stopReason).toBe('patience');
    expect(history.bestEpoch).toBe(best);
    expect(history.epochs.length).toBe(best + patience);
    expect(losses[losses.length - 1]).toBeGreaterThan(losses[best - 1]);

    // The restored network: the validation loss of the best epoch, and the weights of a run of `best` epochs.
    expect((await evaluate(net, validation, 'xent')).loss).toBeCloseTo(losses[best - 1], 6);
    const stoppedThere = new Network(spec, { seed: 1 });
    await fit(stoppedThere, train, { ...options, epochs: best });
    expect(await net.weights()).toEqual(await stoppedThere.weights());
  });

  it('without early stopping the network keeps its last weights', async () => {
    const net = new Network(spec, { seed: 1 });
    const history = await fit(net, train, { ...options, epochs: 4, validation });
    expect(history.stoppedEarly).toBe(false);
    expect(history.bestEpoch).toBe(4);
    expect((await evaluate(net, validation, 'xent')).loss).toBeCloseTo(history.epochs[3].validationLoss!, 6);
  });
});
