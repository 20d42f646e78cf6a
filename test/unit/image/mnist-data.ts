import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdx } from '../../../src/data/idx.ts';
import { mnistDir } from '../../../scripts/lib/mnist.ts';

/** The first n MNIST test digits as 28 x 28 floats (ink high) with labels, read straight from the IDX files. */
export function mnistTestDigits(n: number): Array<{ label: number; pixels: Float32Array }> {
  const images = parseIdx(new Uint8Array(readFileSync(join(mnistDir(), 't10k-images-idx3-ubyte'))));
  const labels = parseIdx(new Uint8Array(readFileSync(join(mnistDir(), 't10k-labels-idx1-ubyte'))));
  return Array.from({ length: n }, (_, k) => ({
    label: labels.data[k],
    pixels: Float32Array.from(images.data.subarray(k * 784, (k + 1) * 784), (v) => v / 255),
  }));
}

/** Pearson correlation after the best whole-pixel shift of `a` within +-1 pixel (MNIST centring rounds to whole pixels). */
export function shiftedCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, correlation: (a: ArrayLike<number>, b: ArrayLike<number>) => number): number {
  let best = -1;
  const s = new Float32Array(784);
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      s.fill(0);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const [sx, sy] = [x + dx, y + dy];
          if (sx >= 0 && sy >= 0 && sx < 28 && sy < 28) s[y * 28 + x] = a[sy * 28 + sx];
        }
      }
      best = Math.max(best, correlation(s, b));
    }
  }
  return best;
}
