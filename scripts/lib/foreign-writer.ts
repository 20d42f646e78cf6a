/**
 * Consistent writers whose hands MNIST lacks, each with the same letterforms, slant, proportions and
 * pen every time and the small variation of one person writing, drawn on a 280 x 280 canvas as the
 * public page does (dark ink, transparent background) and encoded as PNG:
 * - `continental`: the habits of many European writers: a 1 with a long flag and a foot, a crossed
 *   7 with a hooked top, an open 4, a 2 with a loop at its foot, a 3 with a flat top, a slashed 0;
 * - `slanted`: a steep lean and a heavy pen, a 2 written as a crossed Z, a flagged 1 without a
 *   foot, an open-topped 4, a 6 with a straight stem, a 0 with a dot.
 */
import { canvasRgba, drawStrokes, pngRgba, rng } from './digit-synth.ts';
import { arc, handwrite, type Hand, type Stroke } from './digit-strokes.ts';

/** The continental writer's letterforms (unit square, y down; angles clockwise from 3 o'clock). */
export const FOREIGN_SKELETONS: Record<number, Stroke[]> = {
  0: [arc(0.5, 0.5, 0.3, 0.46, -100, 265, 28), [[0.72, 0.14], [0.28, 0.86]]],
  1: [[[0.08, 0.46], [0.6, 0.03], [0.6, 0.97]], [[0.34, 0.97], [0.86, 0.97]]],
  2: [[...arc(0.5, 0.27, 0.3, 0.23, 195, 380, 12), [0.62, 0.55], [0.26, 0.86], ...arc(0.34, 0.86, 0.1, 0.1, -60, 200, 10), [0.5, 0.92], [0.88, 0.94]]],
  3: [[[0.18, 0.05], [0.8, 0.05], [0.42, 0.42]], [...arc(0.46, 0.7, 0.36, 0.27, -110, 150, 16)]],
  4: [[[0.3, 0.03], [0.1, 0.6], [0.92, 0.6]], [[0.7, 0.24], [0.7, 0.97]]],
  5: [[[0.3, 0.05], [0.24, 0.46], [0.62, 0.42], [0.8, 0.6], [0.74, 0.84], [0.5, 0.96], [0.2, 0.88]], [[0.28, 0.06], [0.86, 0.02]]],
  6: [[[0.38, 0.02], [0.22, 0.62], ...arc(0.48, 0.72, 0.27, 0.24, 180, 530, 24)]],
  7: [[[0.1, 0.2], [0.14, 0.05], [0.88, 0.05], [0.4, 0.97]], [[0.3, 0.52], [0.84, 0.52]]],
  8: [[[0.78, 0.12], ...arc(0.5, 0.22, 0.28, 0.18, -20, 200, 12), [0.72, 0.7], ...arc(0.5, 0.78, 0.24, 0.18, 0, 180, 10), [0.76, 0.14]]],
  9: [[...arc(0.46, 0.26, 0.26, 0.22, 10, 370, 22)], [[0.72, 0.22], [0.7, 0.78], ...arc(0.46, 0.78, 0.24, 0.19, 0, 200, 10)]],
};

/** The slanted writer's letterforms. */
export const SLANTED_SKELETONS: Record<number, Stroke[]> = {
  0: [arc(0.5, 0.5, 0.3, 0.46, -100, 265, 28), [[0.5, 0.45], [0.5, 0.55]]],
  1: [[[0.3, 0.3], [0.6, 0.03], [0.6, 0.97]]],
  2: [[[0.15, 0.1], [0.85, 0.1], [0.15, 0.9], [0.85, 0.9]], [[0.3, 0.5], [0.7, 0.5]]],
  3: [[...arc(0.5, 0.27, 0.3, 0.22, 200, 430, 14)], [...arc(0.5, 0.72, 0.33, 0.24, -90, 160, 14)]],
  4: [[[0.2, 0.05], [0.15, 0.45], ...arc(0.45, 0.45, 0.3, 0.15, 180, 0, 8), [0.75, 0.05]], [[0.75, 0.45], [0.75, 0.97]]],
  5: [[...arc(0.5, 0.2, 0.3, 0.16, 0, -180, 10), [0.2, 0.45], ...arc(0.48, 0.68, 0.3, 0.26, -120, 150, 14)]],
  6: [[[0.25, 0.03], [0.25, 0.9], ...arc(0.5, 0.75, 0.25, 0.2, 180, 540, 20)]],
  7: [[[0.15, 0.05], [0.85, 0.05], [0.45, 0.97]], [[0.3, 0.5], [0.75, 0.5]]],
  8: [[...arc(0.5, 0.25, 0.22, 0.2, 0, 360, 20)], [...arc(0.5, 0.7, 0.3, 0.26, 0, 360, 22)]],
  9: [[...arc(0.5, 0.28, 0.26, 0.22, 0, 360, 22)], [[0.76, 0.28], [0.76, 0.8], ...arc(0.5, 0.8, 0.26, 0.17, 0, 170, 10)]],
};

/** A writer: letterforms, a hand, and the pen's width in canvas pixels (from..to). */
interface Writer {
  skeletons: Record<number, Stroke[]>;
  hand: Hand;
  pen: [number, number];
}

export const WRITERS = {
  continental: { skeletons: FOREIGN_SKELETONS, hand: { slant: 14, shear: 0.2, aspect: 0.62, wobble: 0.012 }, pen: [18, 22] },
  slanted: { skeletons: SLANTED_SKELETONS, hand: { slant: 18, shear: 0.25, aspect: 0.6, wobble: 0.012 }, pen: [24, 28] },
} satisfies Record<string, Writer>;

export type WriterName = keyof typeof WRITERS;

export interface ForeignDigit {
  label: number;
  /** A 280 x 280 canvas PNG, dark ink on a transparent background. */
  png: Uint8Array;
}

/**
 * `n` digits of a writer, labels cycling 0-9, reproducible from `seed` (different seeds give
 * different images of the same hand).
 *
 * @example
 * const train = foreignDigits(600, 1);
 * const check = foreignDigits(1200, 2, 'slanted');
 */
export function foreignDigits(n: number, seed: number, writer: WriterName = 'continental'): ForeignDigit[] {
  const { skeletons, hand: base, pen } = WRITERS[writer] as Writer;
  const random = rng(seed);
  const out: ForeignDigit[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 10;
    // One person's variation: a few degrees of slant, a few percent of width and size.
    const hand: Hand = {
      slant: base.slant + (random() * 2 - 1) * 3,
      shear: base.shear + (random() * 2 - 1) * 0.05,
      aspect: base.aspect + (random() * 2 - 1) * 0.06,
      wobble: base.wobble * (0.5 + random()),
    };
    const strokes = handwrite(label, hand, random, skeletons);
    const size = 150 + random() * 70;
    const x = 10 + random() * (260 - size);
    const y = 10 + random() * (260 - size);
    const width = pen[0] + random() * (pen[1] - pen[0]);
    const ink = drawStrokes(strokes, { width: 280, height: 280 }, { x, y, width: size, height: size }, width);
    out.push({ label, png: pngRgba(280, 280, canvasRgba(ink, [17, 17, 17])) });
  }
  return out;
}
