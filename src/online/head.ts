import { Network } from '../nn/network.ts';

/**
 * The top of a network, from layer `from` up, as a network of its own on the same backend: what
 * fine-tuning trains when the layers below (the body) stay as they are. The body's outputs for an
 * example (its features) are then computed once and reused by every pass over it.
 */
export interface Head {
  network: Network;
  /** Writes the head's trained weights (and batch-norm statistics) back into the whole network. */
  commit(): void;
}

/**
 * A copy of layers [from, end) of `net`, taking the body's output as its input.
 *
 * @example
 * const head = headOf(net, 2); // the MLP's output layer on the hidden units
 * ... train head.network ...
 * head.commit();
 */
export function headOf(net: Network, from: number): Head {
  if (!(Number.isInteger(from) && from > 0 && from < net.layers.length)) throw new Error(`a head starts at a layer in 1..${net.layers.length - 1}, got ${from}`);
  const spec = net.spec();
  const network = new Network({ input: [...net.layers[from - 1].outputShape], layers: spec.layers.slice(from) }, { backend: net.backend, init: 'zeros' });
  const pairs = network.layers.flatMap((layer, j) => {
    const whole = net.layers[from + j];
    return [
      ...layer.params().map((p, k) => [whole.params()[k].value, p.value] as const),
      ...layer.state().map((s, k) => [whole.state()[k].value, s.value] as const),
    ];
  });
  for (const [src, dst] of pairs) net.backend.copy(src, dst);
  return { network, commit: () => pairs.forEach(([dst, src]) => net.backend.copy(src, dst)) };
}

/**
 * The outputs of layers [0, to) for n examples (inference mode), `n x size` values: the features a
 * head is trained on.
 *
 * @example
 * const features = await featuresOf(net, 2, pixels); // 800 hidden activities per example
 */
export async function featuresOf(net: Network, to: number, x: Float32Array, batchSize = 256): Promise<Float32Array> {
  const n = x.length / net.inputSize;
  if (!Number.isInteger(n)) throw new Error(`input of ${x.length} values is not a whole number of ${net.inputSize}-value examples`);
  const size = to > 0 ? net.layers[to - 1].outputShape.reduce((a, d) => a * d, 1) : net.inputSize;
  if (to === 0) return x;
  const out = new Float32Array(n * size);
  const o = { training: false, step: 0 };
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    let h = net.inputTensor(m);
    net.backend.write(h, x.subarray(s * net.inputSize, (s + m) * net.inputSize));
    for (let i = 0; i < to; i++) h = net.layers[i].forward(h, o);
    out.set(await net.backend.read(h), s * size);
  }
  return out;
}
