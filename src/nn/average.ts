import type { Network, NamedTensor } from './network.ts';

/**
 * Weight averaging (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better
 * Generalization"): the mean of the weights a network passes through at the ends of its last
 * epochs generalises better than the last of them. Batch-norm running statistics are not
 * averaged: they belong to the averaged weights only once recomputed (`recomputeStatistics`).
 *
 * @example
 * const avg = new WeightAverage();
 * for (...) { trainOneEpoch(); if (epoch >= from) await avg.add(net); }
 * avg.apply(net); await recomputeStatistics(net, batches);
 */
export class WeightAverage {
  private sums: Map<string, Float64Array> | null = null;
  private shapes = new Map<string, number[]>();
  count = 0;

  /** Adds the network's current trainable parameters to the running sum. */
  async add(net: Network): Promise<void> {
    const params = net.params();
    const values = await Promise.all(params.map(({ param }) => net.backend.read(param.value)));
    if (!this.sums) {
      this.sums = new Map(params.map(({ name, param }) => [name, new Float64Array(param.value.size)]));
      for (const { name, param } of params) this.shapes.set(name, [...param.value.shape]);
    }
    params.forEach(({ name }, i) => {
      const sum = this.sums!.get(name);
      if (!sum || sum.length !== values[i].length) throw new Error(`weight average: ${name} does not match the first network added`);
      const v = values[i];
      for (let j = 0; j < v.length; j++) sum[j] += v[j];
    });
    this.count++;
  }

  /** The mean of the parameters added, as named tensors (batch-norm statistics excluded). */
  mean(): NamedTensor[] {
    if (!this.sums || !this.count) throw new Error('weight average: nothing added yet');
    return [...this.sums].map(([name, sum]) => ({ name, shape: this.shapes.get(name)!, data: Float32Array.from(sum, (s) => s / this.count) }));
  }

  /** Loads the mean into the network's parameters; its state tensors stay as they are. */
  async apply(net: Network): Promise<void> {
    const mean = this.mean();
    const state = (await net.weights()).filter((w) => !this.sums!.has(w.name));
    net.setWeights([...mean, ...state]);
  }
}

/**
 * Sets every batch-norm layer's running statistics to the mean of the statistics of the given
 * batches, seen in training mode with the network's current weights (the k-th batch with momentum
 * 1/(k+1)). A network without batch norm is left unchanged.
 */
export async function recomputeStatistics(net: Network, batches: Iterable<{ x: Float32Array; n: number }>): Promise<number> {
  if (!net.state().length) return 0;
  const B = net.backend;
  let k = 0;
  for (const { x, n } of batches) {
    const t = B.tensor([n, ...net.inputShape], x.subarray(0, n * net.inputSize));
    net.forward(t, { training: true, statisticsMomentum: 1 / (k + 1) });
    B.dispose(t);
    k++;
  }
  await B.read(net.state()[0].state.value); // a GPU backend runs what it recorded
  return k;
}
