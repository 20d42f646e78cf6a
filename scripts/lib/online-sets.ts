/**
 * The sets that measure online learning: a foreign writer's digits (to learn), MNIST digits moved
 * and scaled on a canvas (what must not be forgotten), all as canvas PNGs that go through the
 * Worker's preprocessing (src/image) exactly as a user's drawing does.
 */
import type { LabelledImages } from '../../src/data/idx.ts';
import { imageToMnist } from '../../src/image/index.ts';
import { toBytes, type Example } from '../../src/online/example.ts';
import { canvasRgba, enlarge, inkToGray, place, plane, pngGray, pngRgba, rng } from './digit-synth.ts';
import { foreignDigits, type WriterName } from './foreign-writer.ts';

/** A labelled PNG and the 784 pixels the Worker makes of it. */
export interface LabelledPng {
  label: number;
  png: Uint8Array;
  pixels: Float32Array;
}

/**
 * A foreign writer's digits: `train` to send (seed 1) and `check` others of the same hand to
 * measure on (seed 2).
 *
 * @example
 * const { train, check } = foreignSets(600, 1200, 'continental');
 */
export function foreignSets(train: number, check: number, writer: WriterName = 'continental'): { train: LabelledPng[]; check: LabelledPng[] } {
  const withPixels = (d: { label: number; png: Uint8Array }) => ({ ...d, pixels: imageToMnist(d.png).pixels });
  return { train: foreignDigits(train, 1, writer).map(withPixels), check: foreignDigits(check, 2, writer).map(withPixels) };
}

/** How a moved digit is drawn: dark ink on a transparent canvas, on white paper, or light ink on black. */
export type MovedStyle = 'canvas' | 'paper' | 'inverted';

/**
 * MNIST digits `indices` of `set`, enlarged 3 to 8 times and placed anywhere on a 280 x 280 image
 * (`canvas`: dark ink, transparent background; `paper`: grey, dark ink on white; `inverted`: grey,
 * white ink on black), as PNGs with the pixels the Worker makes of them.
 *
 * @example
 * const moved = movedMnist(test, range(0, 1000), 3);
 */
export function movedMnist(set: LabelledImages, indices: readonly number[], seed: number, style: MovedStyle = 'canvas'): LabelledPng[] {
  const random = rng(seed);
  return indices.map((i) => {
    const digit = plane(28, 28);
    digit.data.set(set.pixels.subarray(i * 784, (i + 1) * 784));
    const big = enlarge(digit, 3 + random() * 5);
    const ink = place(big, 280, 280, Math.round(random() * (280 - big.width)), Math.round(random() * (280 - big.height)));
    const png =
      style === 'canvas' ? pngRgba(280, 280, canvasRgba(ink, [17, 17, 17]))
      : style === 'paper' ? pngGray(280, 280, inkToGray(ink, 1, 0.07))
      : pngGray(280, 280, inkToGray(ink, 0, 1));
    return { label: set.labels[i], png, pixels: imageToMnist(png).pixels };
  });
}

/** As the trainer keeps examples (bytes). */
export function asExamples(set: readonly LabelledPng[]): Example[] {
  return set.map((d) => ({ label: d.label, pixels: toBytes(d.pixels) }));
}

/** `n` indices of `set` from `from` on, `n / 10` of each digit. */
export function balancedIndices(set: LabelledImages, n: number, from: number): number[] {
  const taken = new Array(10).fill(0);
  const out: number[] = [];
  for (let i = from; i < set.n && out.length < n; i++) {
    if (taken[set.labels[i]] < n / 10) {
      taken[set.labels[i]]++;
      out.push(i);
    }
  }
  return out;
}
