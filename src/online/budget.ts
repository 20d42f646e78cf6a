import { sizeOf } from '../nn/backend/backend.ts';
import type { Network } from '../nn/network.ts';

/**
 * Floating-point operations of one training example (one forward and one backward pass) through
 * the network's matrix products from layer `from` up, 2 per multiply-add. Dense: inputs x units
 * multiply-adds; convolution: its weights times the output positions. The backward pass repeats
 * each product twice (dE/dW and dE/dx), except that the first trained layer computes no dE/dx
 * (Network.backward). Activations, pooling and the loss are left out: a few percent for the
 * networks of this project.
 *
 * @example
 * trainingFlopsPerExample(new Network(mlp([784, 800, 10]))); // 2 * (2 * 784*800 + 3 * 800*10) = 2,556,800
 */
export function trainingFlopsPerExample(net: Network, from = 0): number {
  let macs = 0;
  net.layers.forEach((layer, i) => {
    if (i >= from) macs += layerMacs(net, i) * (i === from ? 2 : 3);
  });
  return 2 * macs;
}

/**
 * Floating-point operations of one example's forward pass through layers [0, to): what computing
 * a frozen body's features costs (inference only).
 *
 * @example
 * forwardFlopsPerExample(new Network(mlp([784, 800, 10])), 2); // 2 * 784*800
 */
export function forwardFlopsPerExample(net: Network, to = net.layers.length): number {
  let macs = 0;
  for (let i = 0; i < to; i++) macs += layerMacs(net, i);
  return 2 * macs;
}

function layerMacs(net: Network, i: number): number {
  const layer = net.layers[i];
  const weight = layer.params().find((p) => p.name === 'weight');
  if (!weight) return 0;
  // A dense layer's output is [units]; a convolution's [filters, h, w]: one product per position.
  const positions = layer.type === 'conv2d' ? sizeOf(layer.outputShape.slice(1)) : 1;
  return sizeOf(weight.value.shape) * positions;
}

/**
 * Converts a CPU budget in milliseconds into floating-point operations, with a rate measured
 * where the training runs (Workers cannot read a CPU clock mid-computation: `Date.now()` stands
 * still while a request computes).
 *
 * @example
 * flopsWithin(20_000, 8e6); // 1.6e11
 */
export function flopsWithin(budgetMs: number, flopsPerMs: number): number {
  if (!(budgetMs > 0) || !(flopsPerMs > 0)) return 0;
  return budgetMs * flopsPerMs;
}

/**
 * Converts a CPU budget in milliseconds into example passes (flopsWithin / flopsPerExample). At
 * least one pass when the budget is positive.
 *
 * @example
 * examplePassesWithin(20_000, trainingFlopsPerExample(net), 14e6); // 14 GFLOP/s for 20 s
 */
export function examplePassesWithin(budgetMs: number, flopsPerExample: number, flopsPerMs: number): number {
  if (!(budgetMs > 0) || !(flopsPerMs > 0)) return 0;
  if (!(flopsPerExample > 0)) throw new Error(`a training example must cost some FLOPs, got ${flopsPerExample}`);
  return Math.max(1, Math.floor(flopsWithin(budgetMs, flopsPerMs) / flopsPerExample));
}
