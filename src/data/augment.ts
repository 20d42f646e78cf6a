import type { Rng } from '../nn/rng.ts';

/**
 * Data augmentation for images (the article's cure for overfitting by more data): every epoch
 * sees each training digit slightly moved, turned, sheared or bent, as a writer would.
 *
 * - shift: whole-pixel translation by up to `maxShift` pixels in each direction.
 * - affine: small rotation, scale, shear and translation, bilinear resampling.
 * - elastic: Simard, Steinkraus & Platt (2003): a random displacement field, uniform in [-1, 1],
 *   smoothed by a Gaussian of width sigma and scaled by alpha, then bilinear resampling (the
 *   paper's sigma = 4, alpha = 34). No affine part: that is `affine`'s.
 */
export type AugmentKind = 'none' | 'shift' | 'affine' | 'elastic';

export interface AugmentOptions {
  maxShift?: number;
  /** Degrees. */
  maxRotation?: number;
  maxScale?: number;
  maxShear?: number;
  /** Elastic field scale and smoothness (pixels). */
  alpha?: number;
  sigma?: number;
}

const DEFAULTS: Required<AugmentOptions> = { maxShift: 2, maxRotation: 12, maxScale: 0.1, maxShear: 0.15, alpha: 34, sigma: 4 };

/**
 * A batch transform for `fit`'s `augment` option: transforms n images of width x height, stored
 * back to back in `x`, in place.
 *
 * @example
 * fit(net, data, { ..., augment: augmenter('elastic', 28, 28) });
 */
export function augmenter(kind: AugmentKind, width: number, height: number, options: AugmentOptions = {}): ((x: Float32Array, n: number, rng: Rng) => void) | undefined {
  if (kind === 'none') return undefined;
  if (!['shift', 'affine', 'elastic'].includes(kind)) throw new Error(`unknown augmentation '${kind}' (none, shift, affine or elastic)`);
  const o = { ...DEFAULTS, ...options };
  const per = width * height;
  const scratch = new Float32Array(per);
  const field = kind === 'elastic' ? new ElasticField(width, height, o.sigma) : null;
  const map = new Float32Array(2 * per);
  return (x, n, rng) => {
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * per, (i + 1) * per);
      if (kind === 'shift') {
        shift(img, scratch, width, height, rng.int(2 * o.maxShift + 1) - o.maxShift, rng.int(2 * o.maxShift + 1) - o.maxShift);
        continue;
      }
      if (field) {
        identityMap(map, width, height);
        field.add(map, o.alpha, rng);
      } else {
        affineMap(map, width, height, o, rng);
      }
      resample(img, scratch, map, width, height);
    }
  };
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
function identityMap(map: Float32Array, w: number, h: number): void {
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      map[2 * p] = x;
      map[2 * p + 1] = y;
    }
  }
}

/** For each output pixel, the source coordinate under a random small affine transform about the centre. */
function affineMap(map: Float32Array, w: number, h: number, o: Required<AugmentOptions>, rng: Rng): void {
  const angle = ((rng.uniform() * 2 - 1) * o.maxRotation * Math.PI) / 180;
  const scale = 1 + (rng.uniform() * 2 - 1) * o.maxScale;
  const shear = (rng.uniform() * 2 - 1) * o.maxShear;
  const tx = (rng.uniform() * 2 - 1) * o.maxShift;
  const ty = (rng.uniform() * 2 - 1) * o.maxShift;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      const u = x - cx - tx;
      const v = y - cy - ty;
      const us = u + shear * v;
      map[2 * p] = cos * us + sin * v + cx;
      map[2 * p + 1] = -sin * us + cos * v + cy;
    }
  }
}

/** A reusable Gaussian-smoothed random displacement field (separable convolution). */
class ElasticField {
  private readonly kernel: Float32Array;
  private readonly dx: Float32Array;
  private readonly dy: Float32Array;
  private readonly tmp: Float32Array;

  constructor(
    private readonly w: number,
    private readonly h: number,
    sigma: number,
  ) {
    const r = Math.ceil(3 * sigma);
    this.kernel = new Float32Array(2 * r + 1);
    let s = 0;
    for (let i = -r; i <= r; i++) s += this.kernel[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
    for (let i = 0; i < this.kernel.length; i++) this.kernel[i] /= s;
    this.dx = new Float32Array(w * h);
    this.dy = new Float32Array(w * h);
    this.tmp = new Float32Array(w * h);
  }

  /** Adds alpha * smooth(uniform(-1, 1)) to the source coordinates in `map`. */
  add(map: Float32Array, alpha: number, rng: Rng): void {
    for (const f of [this.dx, this.dy]) {
      for (let i = 0; i < f.length; i++) f[i] = rng.uniform() * 2 - 1;
      this.smooth(f);
    }
    for (let p = 0; p < this.dx.length; p++) {
      map[2 * p] += alpha * this.dx[p];
      map[2 * p + 1] += alpha * this.dy[p];
    }
  }

  private smooth(f: Float32Array): void {
    const { w, h, kernel, tmp } = this;
    const r = (kernel.length - 1) / 2;
    // Rows, then columns; zero outside the image (as a fixed border would be).
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const xx = x + k;
          if (xx >= 0 && xx < w) s += kernel[k + r] * f[y * w + xx];
        }
        tmp[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const yy = y + k;
          if (yy >= 0 && yy < h) s += kernel[k + r] * tmp[yy * w + x];
        }
        f[y * w + x] = s;
      }
    }
  }
}

/** Bilinear resampling of img at the source coordinates in `map` (zero outside), in place. */
function resample(img: Float32Array, scratch: Float32Array, map: Float32Array, w: number, h: number): void {
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
