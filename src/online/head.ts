import { Network } from '../nn/network.ts';

/** A convolutional network split for fine-tuning: its frozen features and the dense head trained on them. */
export interface DenseHead {
  /** The layers after the last flatten, as a network of their own (sharing the backend). */
  head: Network;
  /** The frozen layers' output for n inputs (inference mode: batch norm keeps its running statistics). */
  features(x: Float32Array, n: number): Promise<Float32Array>;
  /** Writes the head's trained weights back into the full network. */
  commit(): Promise<void>;
}

/**
 * Online rounds fine-tune a convolutional network's dense head only. A few hundred new examples
 * in small batches would move the convolutions' batch-norm statistics and filters away from what
 * the holdout needs (measured on the edge-cnn preset: digit 2 fell 3-4 points when every layer
 * trained); the head learns the new writers' shapes from features that stay as they were, and
 * costs a forward pass of the features plus the head's own training. Null for a network without
 * convolutions (every layer trains, as before).
 *
 * @example
 * const split = await denseHead(net);
 * if (split) trainer = new Trainer(split.head, ...); // feed split.features(x, n); then split.commit()
 */
export async function denseHead(net: Network): Promise<DenseHead | null> {
  const k = net.layers.findLastIndex((l) => l.type === 'flatten');
  if (k < 0 || !net.layers.slice(0, k).some((l) => l.type === 'conv2d')) return null;
  const B = net.backend;
  const spec = net.spec();
  const head = new Network({ input: [...net.layers[k].outputShape], layers: spec.layers.slice(k + 1) }, { backend: B, init: 'zeros' });
  const pairs = head.layers.map((l, i) => ({ mine: l, theirs: net.layers[k + 1 + i] }));
  const tensors = (l: (typeof pairs)[number]['mine']) => [...l.params().map((p) => p.value), ...l.state().map((s) => s.value)];
  for (const { mine, theirs } of pairs) {
    const [a, b] = [tensors(mine), tensors(theirs)];
    for (let j = 0; j < a.length; j++) B.write(a[j], await B.read(b[j]));
  }
  return {
    head,
    async features(x, n) {
      const input = net.inputTensor(n);
      B.write(input, x);
      let h = input;
      for (const layer of net.layers.slice(0, k + 1)) h = layer.forward(h, { training: false, step: 0 });
      return Float32Array.from(await B.read(h));
    },
    async commit() {
      for (const { mine, theirs } of pairs) {
        const [a, b] = [tensors(mine), tensors(theirs)];
        for (let j = 0; j < a.length; j++) B.write(b[j], await B.read(a[j]));
      }
    },
  };
}
