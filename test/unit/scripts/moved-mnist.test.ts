import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../../scripts/lib/mnist.ts';
import { correlation } from '../../../scripts/lib/digit-synth.ts';
import { movedMnist } from '../../../scripts/lib/online-sets.ts';
import { decode as decodePng } from 'fast-png';

const { test } = loadMnist({ limit: 0 });
const first = [0, 1, 2, 3, 4, 5, 6, 7];

// What `npm run evaluate` measures as moved MNIST: the same digit, moved and scaled the same way
// (one seed), drawn three ways; the Worker's preprocessing must give back nearly the same 28 x 28.
describe('movedMnist', () => {
  const drawn = Object.fromEntries((['canvas', 'paper', 'inverted'] as const).map((s) => [s, movedMnist(test, first, 11, s)]));

  it('draws 280 x 280 images: transparent with dark ink, white paper with dark ink, black with white ink', () => {
    const canvas = decodePng(drawn.canvas[0].png);
    const paper = decodePng(drawn.paper[0].png);
    const inverted = decodePng(drawn.inverted[0].png);
    for (const image of [canvas, paper, inverted]) expect([image.width, image.height]).toEqual([280, 280]);
    // The corner is background in every style.
    expect(canvas.channels).toBe(4);
    expect(canvas.data[3]).toBe(0);
    expect(paper.data[0]).toBe(255);
    expect(inverted.data[0]).toBe(0);
  });

  it('keeps the labels and, through the preprocessing, the same digit whichever way it was drawn', () => {
    for (const [i, d] of drawn.canvas.entries()) {
      expect(d.label).toBe(test.labels[first[i]]);
      expect(correlation(d.pixels, drawn.paper[i].pixels)).toBeGreaterThan(0.98);
      expect(correlation(d.pixels, drawn.inverted[i].pixels)).toBeGreaterThan(0.98);
      // And it is MNIST's digit: the preprocessing undoes the move and the scale.
      expect(correlation(d.pixels, test.pixels.subarray(first[i] * 784, (first[i] + 1) * 784))).toBeGreaterThan(0.8);
    }
  });
});
