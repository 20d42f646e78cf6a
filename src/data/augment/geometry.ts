import type { Rng } from '../../nn/rng.ts';

/**
 * Where a writer's hand moves the digit: whole-pixel shifts, small affine transforms (rotation,
 * scale, aspect, shear, translation) and elastic fields (Simard, Steinkraus & Platt 2003). Affine
 * and elastic both produce a map of source coordinates, so together they cost one resampling.
 */
export interface GeometryOptions {
  maxShift: number;
  /** Degrees. */
  maxRotation: number;
  /** Overall size: a factor within 1 +- maxScale. */
  maxScale: number;
  /** Width against height: the x scale is further multiplied by a factor within (1 +- maxAspect). */
  maxAspect: number;
  maxShear: number;
  /** Elastic field scale and smoothness (pixels). */
  alpha: number;
  sigma: number;
}

/** Integer translation with zero fill. */
export function shift(img: Float32Array, scratch: Float32Array, w: number, h: number, dx: number, dy: number): void {
  scratch.fill(0);
  for (let y = 0; y < h; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < w) scratch[y * w + x] = img[sy * w + sx];
    }
  }
  img.set(scratch);
}

/** Each output pixel's source coordinate is itself. */
export function identityMap(map: Float32Array, w: number, h: number): void {
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      map[2 * p] = x;
      map[2 * p + 1] = y;
    }
  }
}

/** For each output pixel, the source coordinate under a random small affine transform about the centre. */
export function affineMap(map: Float32Array, w: number, h: number, o: GeometryOptions, rng: Rng): void {
  const angle = ((rng.uniform() * 2 - 1) * o.maxRotation * Math.PI) / 180;
  const scale = 1 + (rng.uniform() * 2 - 1) * o.maxScale;
  // Drawn only when asked for, so that plain affine draws (and reproduces) what it always drew.
  const aspect = o.maxAspect > 0 ? 1 + (rng.uniform() * 2 - 1) * o.maxAspect : 1;
  const shear = (rng.uniform() * 2 - 1) * o.maxShear;
  const tx = (rng.uniform() * 2 - 1) * o.maxShift;
  const ty = (rng.uniform() * 2 - 1) * o.maxShift;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      const u = (x - cx - tx) / aspect;
      const v = y - cy - ty;
      const us = u + shear * v;
      map[2 * p] = cos * us + sin * v + cx;
      map[2 * p + 1] = -sin * us + cos * v + cy;
    }
  }
}

/** A reusable Gaussian-smoothed random displacement field (separable convolution). */
export class ElasticField {
  private readonly kernel: Float32Array;
  private readonly dx: Float32Array;
  private readonly dy: Float32Array;
  private readonly tmp: Float32Array;

  constructor(
    private readonly w: number,
    private readonly h: number,
    sigma: number,
  ) {
    this.kernel = gaussianKernel(sigma);
    this.dx = new Float32Array(w * h);
    this.dy = new Float32Array(w * h);
    this.tmp = new Float32Array(w * h);
  }

  /** Adds alpha * smooth(uniform(-1, 1)) to the source coordinates in `map`. */
  add(map: Float32Array, alpha: number, rng: Rng): void {
    for (const f of [this.dx, this.dy]) {
      for (let i = 0; i < f.length; i++) f[i] = rng.uniform() * 2 - 1;
      separableBlur(f, this.tmp, this.w, this.h, this.kernel);
    }
    for (let p = 0; p < this.dx.length; p++) {
      map[2 * p] += alpha * this.dx[p];
      map[2 * p + 1] += alpha * this.dy[p];
    }
  }
}

/** A normalised 1-D Gaussian of width sigma, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += kernel[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= s;
  return kernel;
}

/**
 * Rows, then columns, in place; zero outside the image (as a fixed border would be). `tmp` holds
 * w * h floats. The rows are blurred as the columns of the transposed image: a column pass sums
 * four neighbouring outputs at once, four independent chains, where a row pass's one output at a
 * time waits on each add. Every output is still the same sum in the same order, so the result is
 * the plain loops' to the bit.
 */
export function separableBlur(f: Float32Array, tmp: Float32Array, w: number, h: number, kernel: Float32Array): void {
  transpose(f, tmp, w, h);
  blurColumns(tmp, f, h, w, kernel);
  transpose(f, tmp, h, w);
  blurColumns(tmp, f, w, h, kernel);
}

/** dst[y][x] = sum over k = -r..r (ascending, inside the image) of kernel[k + r] * src[y + k][x]. */
function blurColumns(src: Float32Array, dst: Float32Array, w: number, h: number, kernel: Float32Array): void {
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < h; y++) {
    const lo = Math.max(-r, -y);
    const hi = Math.min(r, h - 1 - y);
    const row = y * w;
    let x = 0;
    for (; x + 4 <= w; x += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = lo; k <= hi; k++) {
        const kv = kernel[k + r];
        const p = (y + k) * w + x;
        s0 += kv * src[p];
        s1 += kv * src[p + 1];
        s2 += kv * src[p + 2];
        s3 += kv * src[p + 3];
      }
      dst[row + x] = s0;
      dst[row + x + 1] = s1;
      dst[row + x + 2] = s2;
      dst[row + x + 3] = s3;
    }
    for (; x < w; x++) {
      let s = 0;
      for (let k = lo; k <= hi; k++) s += kernel[k + r] * src[(y + k) * w + x];
      dst[row + x] = s;
    }
  }
}

/** src is h rows of w; dst becomes w rows of h. */
function transpose(src: Float32Array, dst: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dst[x * h + y] = src[y * w + x];
}

/** Bilinear resampling of img at the source coordinates in `map` (zero outside), in place. */
export function resample(img: Float32Array, scratch: Float32Array, map: Float32Array, w: number, h: number): void {
  const at = (x: number, y: number) => (x >= 0 && x < w && y >= 0 && y < h ? img[y * w + x] : 0);
  for (let p = 0; p < w * h; p++) {
    const sx = map[2 * p];
    const sy = map[2 * p + 1];
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    scratch[p] =
      (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
  }
  img.set(scratch);
}
