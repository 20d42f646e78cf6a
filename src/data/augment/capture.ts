import type { Rng } from '../../nn/rng.ts';
import { gaussianKernel, separableBlur } from './geometry.ts';

/**
 * What the camera or scanner and the file format do to a digit: defocus blur, sensor noise and
 * JPEG's 8x8 block quantisation. All work on ink-high grey images in [0, 1].
 */

/** Gaussian blur of width sigma, rescaled so the brightest ink stays as bright (a blurred thin stroke still reads as ink). */
export function blur(img: Float32Array, scratch: Float32Array, w: number, h: number, sigma: number): void {
  let before = 0;
  for (const v of img) before = Math.max(before, v);
  if (before === 0 || sigma <= 0) return;
  separableBlur(img, scratch, w, h, gaussianKernel(sigma));
  let after = 0;
  for (const v of img) after = Math.max(after, v);
  const k = before / after;
  for (let i = 0; i < img.length; i++) img[i] *= k;
}

/** Adds Gaussian noise of standard deviation `std` to every pixel, clamped to [0, 1]. */
export function noise(img: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, img[i] + rng.normal(0, std)));
}

/** The JPEG standard's luminance quantisation table (ITU-T T.81, Annex K.1). */
const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** cos((2x + 1) u pi / 16) scaled for the orthonormal 8-point DCT-II. */
const DCT = (() => {
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) m[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return m;
})();

/**
 * JPEG's lossy step at `quality` (1..100, libjpeg's scaling of the table): each 8x8 block (edge
 * blocks padded by repeating the border) goes through the DCT, is quantised, and comes back. No
 * level shift: blank background is 0, so a blank block stays exactly blank.
 */
export function jpegArtefacts(img: Float32Array, w: number, h: number, quality: number): void {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  const table = LUMA.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) block[y * 8 + x] = 255 * img[Math.min(h - 1, by + y) * w + Math.min(w - 1, bx + x)];
      }
      transform(block, tmp, false);
      for (let i = 0; i < 64; i++) block[i] = table[i] * Math.round(block[i] / table[i]);
      transform(block, tmp, true);
      for (let y = 0; y < 8 && by + y < h; y++) {
        for (let x = 0; x < 8 && bx + x < w; x++) img[(by + y) * w + bx + x] = Math.min(1, Math.max(0, block[y * 8 + x] / 255));
      }
    }
  }
}

/** The separable 2-D DCT-II of an 8x8 block (or its inverse), in place. */
function transform(b: Float64Array, tmp: Float64Array, inverse: boolean): void {
  // Rows then columns: out[u] = sum_x M[u][x] in[x]; the inverse uses the transpose.
  const m = (u: number, x: number) => (inverse ? DCT[x * 8 + u] : DCT[u * 8 + x]);
  for (let r = 0; r < 8; r++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += m(u, x) * b[r * 8 + x];
      tmp[r * 8 + u] = s;
    }
  }
  for (let c = 0; c < 8; c++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += m(u, y) * tmp[y * 8 + c];
      b[u * 8 + c] = s;
    }
  }
}
