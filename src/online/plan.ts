import type { Network } from '../nn/network.ts';
import type { FineTuneOptions } from './fine-tune.ts';

/** How a round fine-tunes a model: which layers train, and how. */
export interface FineTunePlan extends Required<Pick<FineTuneOptions, 'trainFrom' | 'lr' | 'epochs' | 'batchSize' | 'replayShare' | 'momentum'>> {
  /** In words, for the round's log. */
  layers: string;
}

/** Layers of the convolutional body: what a CNN keeps frozen. */
const BODY = new Set(['conv2d', 'maxpool', 'avgpool', 'flatten']);

/**
 * The first layer of a network's classifier head: the layer after its last convolution, pooling
 * or flatten layer (0 for a network without any: an MLP's layers are all "head").
 *
 * @example
 * headStart(new Network(parseArch('cnn'))); // 15: dense 256, batch norm, ReLU, dropout, dense 10
 */
export function headStart(net: Network): number {
  let start = 0;
  net.layers.forEach((l, i) => {
    if (BODY.has(l.type)) start = i + 1;
  });
  return start;
}

/**
 * The fine-tuning a model gets, chosen by its architecture (the measurements behind each choice, by
 * `npm run bench -- online-learn`, are in docs/online-learning.md). Convolutional networks train
 * their classifier head on the body's features, computed once per example, so that the budget
 * allows many passes per example; a head of one dense layer (a linear classifier on the body's
 * features) takes fewer passes than a deeper head. Networks without a convolutional body (MLPs)
 * train all their layers.
 *
 * @example
 * const plan = planFineTune(network); // { trainFrom: 15, lr: 0.01, epochs: 20, ... }
 */
export function planFineTune(net: Network): FineTunePlan {
  const start = headStart(net);
  const step = { lr: 0.01, batchSize: 32, replayShare: 0.5, momentum: 0.9 };
  if (start === 0) return { ...step, trainFrom: 0, epochs: 10, layers: 'all layers' };
  const layers = `layers ${start}-${net.layers.length - 1}`;
  if (net.layers.slice(start).filter((l) => l.type === 'dense').length === 1) {
    // A linear classifier on the body's features (edge-cnn, edge-cnn-stacked): half a deeper head's
    // passes; with fewer, ten wrong labels move it too little for the gate to see.
    return { ...step, trainFrom: start, epochs: 10, layers: `${layers} (a linear classifier on the convolutional body's features)` };
  }
  return { ...step, trainFrom: start, epochs: 20, layers: `${layers} (the classifier head, on the convolutional body's features)` };
}
