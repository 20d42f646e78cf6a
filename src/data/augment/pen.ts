import type { Rng } from '../../nn/rng.ts';
import { gaussianKernel, separableBlur } from './geometry.ts';

/**
 * What the pen does: a wider or narrower stroke than MNIST's (a thin canvas pen, a marker), and
 * uneven pressure along the stroke (a faded or running-dry pen, a light touch at stroke ends).
 * Both work on ink-high grey images in [0, 1].
 */

/** Grey dilation (amount > 0) or erosion (amount < 0) by a 3x3 cross, mixed in by |amount| <= 1. */
export function penWidth(img: Float32Array, scratch: Float32Array, w: number, h: number, amount: number): void {
  const t = Math.min(1, Math.abs(amount));
  if (t === 0) return;
  const grow = amount > 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      // Outside the image counts as background: dilation ignores it, erosion is pulled to 0 by it.
      const n = [y > 0 ? img[p - w] : 0, y < h - 1 ? img[p + w] : 0, x > 0 ? img[p - 1] : 0, x < w - 1 ? img[p + 1] : 0];
      const m = grow ? Math.max(img[p], ...n) : Math.min(img[p], ...n);
      scratch[p] = img[p] + t * (m - img[p]);
    }
  }
  img.set(scratch);
}

/**
 * Multiplies the ink by 1 - depth * f, where f is a smooth random field in [0, 1] (Gaussian-blurred
 * noise stretched to its range): ink fades in patches a few pixels wide, as under uneven pressure.
 */
export class PressureField {
  private readonly kernel: Float32Array;
  private readonly field: Float32Array;
  private readonly tmp: Float32Array;

  constructor(
    private readonly w: number,
    private readonly h: number,
    sigma = 3,
  ) {
    this.kernel = gaussianKernel(sigma);
    this.field = new Float32Array(w * h);
    this.tmp = new Float32Array(w * h);
  }

  apply(img: Float32Array, depth: number, rng: Rng): void {
    const f = this.field;
    for (let i = 0; i < f.length; i++) f[i] = rng.uniform();
    separableBlur(f, this.tmp, this.w, this.h, this.kernel);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of f) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const span = hi - lo || 1;
    for (let i = 0; i < img.length; i++) img[i] *= 1 - depth * ((f[i] - lo) / span);
  }
}
