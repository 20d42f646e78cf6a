import { describe, expect, it } from 'vitest';
import { augmenter, shift } from '../../../src/data/augment.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';

const { test } = loadMnist({ limit: 1 });
const digits = test.pixels.subarray(0, 50 * 784);

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
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
    const x = Float32Array.from(digits.subarray(0, 784));
    augmenter('affine', 28, 28, { maxRotation: 0, maxScale: 0, maxShear: 0, maxShift: 0 })!(x, 1, new Rng(1));
    for (let i = 0; i < 784; i++) expect(x[i]).toBeCloseTo(digits[i], 6);
  });

  for (const kind of ['shift', 'affine', 'elastic'] as const) {
    it(`${kind}: changes the digits, keeps them recognisable, and is reproducible from the seed`, () => {
      const a = Float32Array.from(digits);
      const b = Float32Array.from(digits);
      augmenter(kind, 28, 28)!(a, 50, new Rng(9));
      augmenter(kind, 28, 28)!(b, 50, new Rng(9));
      expect(Array.from(a)).toEqual(Array.from(b));
      let changed = 0;
      let sumCorr = 0;
      for (let i = 0; i < 50; i++) {
        const orig = digits.subarray(i * 784, (i + 1) * 784);
        const aug = a.subarray(i * 784, (i + 1) * 784);
        if (aug.some((v, j) => Math.abs(v - orig[j]) > 1e-6)) changed++;
        sumCorr += correlation(orig, aug);
        const inkRatio = aug.reduce((s, v) => s + v, 0) / orig.reduce((s, v) => s + v, 0);
        expect(inkRatio).toBeGreaterThan(kind === 'shift' ? 0.9 : 0.5);
        expect(inkRatio).toBeLessThan(kind === 'shift' ? 1.01 : 1.7);
      }
      expect(changed).toBeGreaterThan(35);
      expect(sumCorr / 50).toBeGreaterThan(kind === 'shift' ? 0.2 : 0.35);
    });
  }

  it('refuses an unknown kind', () => {
    expect(() => augmenter('warp' as never, 28, 28)).toThrow(/unknown augmentation/);
  });
});
