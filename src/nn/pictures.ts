import type { Network } from './network.ts';

/**
 * The first layer's incoming weights, one image per unit (dense: each row reshaped to the input
 * image; conv: each filter), each scaled to [0, 1] for display: what the first layer has learned to
 * look for (the article's picture of a network's features).
 *
 * @example
 * const { width, height, images } = await firstLayerImages(net); // 28 x 28 per hidden unit of an MLP
 */
export async function firstLayerImages(net: Network): Promise<{ width: number; height: number; images: Float32Array[] }> {
  const first = net.params()[0];
  if (!first) throw new Error('the first layer has no weights');
  const w = await net.backend.read(first.param.value);
  const shape = first.param.value.shape;
  let width: number;
  let height: number;
  if (shape.length === 4) {
    [height, width] = [shape[2], shape[3] * shape[1]];
  } else {
    const inputs = shape[1];
    const side = Math.round(Math.sqrt(inputs));
    [height, width] = side * side === inputs ? [side, side] : [1, inputs];
  }
  const per = width * height;
  const images: Float32Array[] = [];
  for (let u = 0; u < shape[0]; u++) {
    const img = Float32Array.from(w.subarray(u * per, (u + 1) * per));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of img) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < img.length; i++) img[i] = (img[i] - lo) / span;
    images.push(img);
  }
  return { width, height, images };
}
