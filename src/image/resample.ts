import type { GrayImage } from './gray.ts';

/** For each output sample, the first source index and the weights of consecutive source samples. */
interface Taps {
  start: Int32Array;
  weights: Float32Array[];
}

/**
 * Weights that map `n` source samples (a span starting at `offset`, in source pixels) onto `m`
 * output samples at `scale` output pixels per source pixel. Shrinking averages each output
 * pixel's footprint exactly (area averaging: every source pixel weighs by how much of it the
 * output pixel covers), which is the anti-aliasing MNIST's digits got; enlarging interpolates
 * linearly between pixel centres. Samples outside the source read as 0 (no ink).
 */
function taps(n: number, m: number, scale: number, offset: number): Taps {
  const start = new Int32Array(m);
  const weights: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    const w: number[] = [];
    let first: number;
    if (scale <= 1) {
      const a = offset + j / scale;
      const b = offset + (j + 1) / scale;
      first = Math.floor(a);
      for (let k = first; k < b; k++) w.push((Math.min(b, k + 1) - Math.max(a, k)) * scale);
    } else {
      const c = offset + (j + 0.5) / scale - 0.5;
      first = Math.floor(c);
      w.push(1 - (c - first), c - first);
    }
    // Drop taps outside the source: they read as background.
    const lo = Math.max(first, 0);
    const hi = Math.min(first + w.length, n);
    start[j] = lo;
    weights.push(Float32Array.from(w.slice(lo - first, Math.max(lo - first, hi - first))));
  }
  return { start, weights };
}

/**
 * Scales a region of an image so its longer side becomes `box` pixels, keeping the aspect ratio;
 * the shorter side becomes the nearest whole number of pixels (at least 1), centred on the region.
 *
 * @example
 * const digit = fitToBox(ink, { x: 120, y: 40, width: 300, height: 420 }, 20); // 14 x 20
 */
export function fitToBox(img: GrayImage, region: { x: number; y: number; width: number; height: number }, box: number): GrayImage {
  const { width: rw, height: rh } = region;
  const scale = box / Math.max(rw, rh);
  const ow = Math.max(1, Math.round(rw * scale));
  const oh = Math.max(1, Math.round(rh * scale));
  // Centre the output's footprint on the region (it differs from it by under a pixel of output).
  const ox = region.x + (rw - ow / scale) / 2;
  const oy = region.y + (rh - oh / scale) / 2;
  const tx = taps(img.width, ow, scale, ox);
  const ty = taps(img.height, oh, scale, oy);
  // Rows first: only the source rows some output row reads.
  let y0 = img.height;
  let y1 = 0;
  for (let i = 0; i < oh; i++) {
    y0 = Math.min(y0, ty.start[i]);
    y1 = Math.max(y1, ty.start[i] + ty.weights[i].length);
  }
  y1 = Math.max(y0, y1);
  const rows = new Float32Array((y1 - y0) * ow);
  for (let y = y0; y < y1; y++) {
    const src = y * img.width;
    for (let j = 0; j < ow; j++) {
      const w = tx.weights[j];
      let s = 0;
      for (let k = 0; k < w.length; k++) s += w[k] * img.data[src + tx.start[j] + k];
      rows[(y - y0) * ow + j] = s;
    }
  }
  const out = new Float32Array(ow * oh);
  for (let i = 0; i < oh; i++) {
    const w = ty.weights[i];
    for (let j = 0; j < ow; j++) {
      let s = 0;
      for (let k = 0; k < w.length; k++) s += w[k] * rows[(ty.start[i] + k - y0) * ow + j];
      out[i * ow + j] = s;
    }
  }
  return { width: ow, height: oh, data: out };
}
