import { describe, expect, it } from 'vitest';
import { AUGMENT_PRESETS, augmenter, blur, jpegArtefacts, noise, parseAugment, penWidth, PressureField, shift } from '../../../src/data/augment.ts';
import { gaussianKernel, separableBlur } from '../../../src/data/augment/geometry.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';

const { test } = loadMnist({ limit: 1 });
const digits = test.pixels.subarray(0, 50 * 784);
const digit = () => Float32Array.from(digits.subarray(0, 784));
const sum = (v: Float32Array) => v.reduce((s, x) => s + x, 0);

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (v: Float32Array) => sum(v) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('data augmentation', () => {
  it('shift moves every pixel by whole pixels with zero fill', () => {
    const img = new Float32Array(9);
    img[4] = 1; // centre of 3x3
    shift(img, new Float32Array(9), 3, 3, 1, -1);
    expect(Array.from(img)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('an affine transform with every range at zero is the identity', () => {
    const x = digit();
    augmenter('affine', 28, 28, { maxRotation: 0, maxScale: 0, maxAspect: 0, maxShear: 0, maxShift: 0 })!(x, 1, new Rng(1));
    for (let i = 0; i < 784; i++) expect(x[i]).toBeCloseTo(digits[i], 6);
  });

  it('aspect changes the width of the digit, never its height', () => {
    const rows = (v: Float32Array) => [...Array(28).keys()].filter((y) => v.subarray(y * 28, y * 28 + 28).some((p) => p > 0.3));
    const cols = (v: Float32Array) => [...Array(28).keys()].filter((x) => [...Array(28).keys()].some((y) => v[y * 28 + x] > 0.3));
    const widths = new Set<number>();
    for (let seed = 1; seed <= 10; seed++) {
      const x = digit();
      augmenter('aspect', 28, 28, { maxAspect: 0.4 })!(x, 1, new Rng(seed));
      expect(rows(x)).toEqual(rows(digit()));
      widths.add(cols(x).length);
    }
    expect(widths.size).toBeGreaterThan(2);
  });

  it('parses steps joined by +, in their running order, and presets; refuses unknown names', () => {
    expect(parseAugment('elastic+affine')).toEqual(['affine', 'elastic']);
    expect(parseAugment('capture')).toEqual(['affine', 'aspect', 'elastic', 'width', 'pressure', 'blur', 'jpeg', 'noise']);
    expect(parseAugment('none')).toEqual([]);
    expect(parseAugment('capture')).toEqual(AUGMENT_PRESETS.capture);
    expect(() => parseAugment('affine+warp')).toThrow(/unknown augmentation 'warp'/);
    expect(() => augmenter('warp', 28, 28)).toThrow(/unknown augmentation/);
    expect(augmenter('none', 28, 28)).toBeUndefined();
  });

  for (const kind of ['shift', 'affine', 'aspect', 'elastic', 'affine+elastic', 'handwriting', 'capture']) {
    it(`${kind}: changes the digits, keeps them recognisable, and is reproducible from the seed`, () => {
      const a = Float32Array.from(digits);
      const b = Float32Array.from(digits);
      augmenter(kind, 28, 28)!(a, 50, new Rng(9));
      augmenter(kind, 28, 28)!(b, 50, new Rng(9));
      expect(Array.from(a)).toEqual(Array.from(b));
      const c = Float32Array.from(digits);
      augmenter(kind, 28, 28)!(c, 50, new Rng(10));
      expect(Array.from(c)).not.toEqual(Array.from(a));
      let changed = 0;
      let sumCorr = 0;
      for (let i = 0; i < 50; i++) {
        const orig = digits.subarray(i * 784, (i + 1) * 784);
        const aug = a.subarray(i * 784, (i + 1) * 784);
        expect(aug.every((v) => v >= 0 && v <= 1.0001)).toBe(true);
        if (aug.some((v, j) => Math.abs(v - orig[j]) > 1e-6)) changed++;
        sumCorr += correlation(orig, aug);
        const inkRatio = sum(aug) / sum(orig);
        // Pen width and pressure move the ink a lot by design; noise adds some to the background.
        const [lo, hi] = kind === 'shift' ? [0.9, 1.01] : kind === 'handwriting' ? [0.25, 2.5] : kind === 'capture' ? [0.25, 4] : [0.5, 1.7];
        expect(inkRatio).toBeGreaterThan(lo);
        expect(inkRatio).toBeLessThan(hi);
      }
      expect(changed).toBeGreaterThan(35);
      expect(sumCorr / 50).toBeGreaterThan(kind === 'shift' ? 0.2 : 0.3);
    });
  }

  it('every step leaves an all-zero image at zero, except noise', () => {
    const steps = ['shift', 'affine', 'aspect', 'elastic', 'width', 'pressure', 'blur', 'jpeg'];
    const x = new Float32Array(784 * 20);
    augmenter(steps.join('+'), 28, 28, { chance: { width: 1, pressure: 1, blur: 1, jpeg: 1 } })!(x, 20, new Rng(3));
    expect(x.every((v) => v === 0)).toBe(true);
  });
});

describe('pen width', () => {
  it('thickening never lowers a pixel, thinning never raises one, and each moves some', () => {
    for (const amount of [0.3, 1]) {
      const thick = digit();
      penWidth(thick, new Float32Array(784), 28, 28, amount);
      const thin = digit();
      penWidth(thin, new Float32Array(784), 28, 28, -amount);
      const d = digit();
      for (let i = 0; i < 784; i++) {
        expect(thick[i]).toBeGreaterThanOrEqual(d[i]);
        expect(thin[i]).toBeLessThanOrEqual(d[i]);
      }
      expect(sum(thick)).toBeGreaterThan(sum(d) * (1 + 0.2 * amount));
      expect(sum(thin)).toBeLessThan(sum(d) * (1 - 0.2 * amount));
    }
  });

  it('full thickening is a dilation by the 3x3 cross; full thinning an erosion', () => {
    // A 3-pixel horizontal bar in a 5x5 image.
    const bar = () => Float32Array.from({ length: 25 }, (_, i) => (Math.floor(i / 5) === 2 && i % 5 >= 1 && i % 5 <= 3 ? 1 : 0));
    const thick = bar();
    penWidth(thick, new Float32Array(25), 5, 5, 1);
    expect(Array.from(thick)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const thin = bar();
    penWidth(thin, new Float32Array(25), 5, 5, -1);
    expect(sum(thin)).toBe(0); // one pixel tall: erosion by the cross removes it
    const half = bar();
    penWidth(half, new Float32Array(25), 5, 5, 0.5);
    expect(half[7]).toBeCloseTo(0.5, 6);
    expect(half[12]).toBe(1);
  });
});

describe('pressure', () => {
  it('only ever fades ink: no pixel rises, zero stays zero, and the faintest patch loses the full depth', () => {
    const x = digit();
    new PressureField(28, 28).apply(x, 0.6, new Rng(5));
    const d = digit();
    let minRatio = 1;
    for (let i = 0; i < 784; i++) {
      expect(x[i]).toBeLessThanOrEqual(d[i]);
      if (d[i] === 0) expect(x[i]).toBe(0);
      if (d[i] > 0.5) minRatio = Math.min(minRatio, x[i] / d[i]);
    }
    expect(minRatio).toBeGreaterThanOrEqual(0.4 - 1e-6);
    expect(minRatio).toBeLessThan(0.8);
  });
});

describe('capture', () => {
  it('blur keeps the brightest pixel, spreads ink to the neighbours, and keeps the centre of mass', () => {
    const x = new Float32Array(81);
    x[40] = 0.8;
    blur(x, new Float32Array(81), 9, 9, 1);
    expect(Math.max(...x)).toBeCloseTo(0.8, 6);
    expect(x[40]).toBeCloseTo(0.8, 6);
    expect(x[39]).toBeCloseTo(x[41], 6);
    expect(x[31]).toBeCloseTo(x[49], 6);
    expect(x[39] / x[40]).toBeCloseTo(Math.exp(-0.5), 2);
  });

  it('noise of zero deviation changes nothing; otherwise it stays within [0, 1] with the deviation asked', () => {
    const x = digit();
    noise(x, 0, new Rng(1));
    expect(Array.from(x)).toEqual(Array.from(digit()));
    const g = new Float32Array(20000).fill(0.5);
    noise(g, 0.1, new Rng(2));
    const mean = sum(g) / g.length;
    const std = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(std).toBeCloseTo(0.1, 2);
  });

  it('JPEG quantisation: a flat block survives exactly, a digit comes back close at quality 90 and worse at 10', () => {
    const flat = new Float32Array(64).fill(128 / 255);
    jpegArtefacts(flat, 8, 8, 50);
    for (const v of flat) expect(v).toBeCloseTo(128 / 255, 6);
    const err = (q: number) => {
      const x = digit();
      jpegArtefacts(x, 28, 28, q);
      return Math.sqrt(x.reduce((s, v, i) => s + (v - digits[i]) ** 2, 0) / 784);
    };
    expect(err(90)).toBeLessThan(0.03);
    expect(err(10)).toBeGreaterThan(2 * err(90));
    expect(err(100)).toBeLessThan(0.01);
  });
});

describe('the separable Gaussian blur (elastic fields, pressure patches, defocus)', () => {
  // The definition, one output at a time: rows, rounded to float32, then columns; zero outside.
  function direct(f: Float32Array, w: number, h: number, kernel: Float32Array): Float32Array {
    const r = (kernel.length - 1) / 2;
    const rows = new Float32Array(w * h);
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) if (x + k >= 0 && x + k < w) s += kernel[k + r] * f[y * w + x + k];
        rows[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) if (y + k >= 0 && y + k < h) s += kernel[k + r] * rows[(y + k) * w + x];
        out[y * w + x] = s;
      }
    }
    return out;
  }

  it.each([
    [28, 28, 4],
    [28, 28, 0.5],
    [9, 7, 1],
    [5, 11, 4],
    [1, 6, 2],
  ])('%i x %i, sigma %f: the definition to the bit', (w, h, sigma) => {
    const rng = new Rng(w * 100 + h);
    const kernel = gaussianKernel(sigma);
    for (let t = 0; t < 20; t++) {
      const f = Float32Array.from({ length: w * h }, () => rng.uniform() * 2 - 1);
      const expected = direct(f, w, h, kernel);
      separableBlur(f, new Float32Array(w * h), w, h, kernel);
      expect(Array.from(f)).toEqual(Array.from(expected));
    }
  });
});
