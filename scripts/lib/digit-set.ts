import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError, imageToMnist } from '../../src/image/index.ts';
import { argmax } from '../../src/nn/metrics.ts';

/** Where the outside-MNIST digit set lives (made by scripts/make-digit-set.ts). */
export const DIGIT_SET_DIR = fileURLToPath(new URL('../../data/digits/', import.meta.url));

/** How model cards name this set. */
export const OUTSIDE_MNIST_DATA = "data/digits (scripts/make-digit-set.ts): dev and test, writers and fonts disjoint, through the Worker's preprocessing";

export type DigitSetSplit = 'dev' | 'test';
/** canvas: browser PNG, transparent; scan: grey PNG; scan-jpeg; photo: JPEG of paper; inverted: light on dark. */
export type DigitSetStyle = 'canvas' | 'scan' | 'scan-jpeg' | 'photo' | 'inverted';

export interface DigitSetEntry {
  split: DigitSetSplit;
  label: number;
  /** strokes: a synthetic writer; font: a Debian font; fixture: one of test/fixtures/digits. */
  source: 'strokes' | 'font' | 'fixture';
  /** The writer's id or the font's family: never on both sides of the split. */
  writer: string;
  /** The shape written (e.g. `flag-base` for a 1), or the font's face. */
  allograph: string;
  style: DigitSetStyle;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Where the image's bytes are in <split>.bin. */
  offset: number;
  length: number;
}

export interface DigitSetImage extends DigitSetEntry {
  bytes: Uint8Array;
}

/** Canvas drawings against everything that came on paper. */
export function styleGroup(style: DigitSetStyle): 'canvas' | 'paper' {
  return style === 'canvas' ? 'canvas' : 'paper';
}

/**
 * The digits of one split (or both), with their bytes.
 *
 * @example
 * for (const d of loadDigitSet('dev')) console.log(d.label, imageToMnist(d.bytes).pixels);
 */
export function loadDigitSet(split?: DigitSetSplit, dir = DIGIT_SET_DIR): DigitSetImage[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { digits: DigitSetEntry[] };
  const packs = new Map<DigitSetSplit, Uint8Array>();
  const pack = (s: DigitSetSplit) => {
    let p = packs.get(s);
    if (!p) packs.set(s, (p = new Uint8Array(readFileSync(join(dir, `${s}.bin`)))));
    return p;
  };
  return manifest.digits.filter((d) => !split || d.split === split).map((d) => ({ ...d, bytes: pack(d.split).subarray(d.offset, d.offset + d.length) }));
}

/**
 * The digits as model inputs through the Worker's preprocessing (src/image), 784 floats each, back
 * to back. `refused` marks those the Worker would answer with a 4xx (no digit found): they stay
 * blank here and count as wrong in `tallyDigitSet`.
 */
export function digitSetPixels(images: DigitSetImage[]): { pixels: Float32Array; refused: Uint8Array } {
  const pixels = new Float32Array(images.length * 784);
  const refused = new Uint8Array(images.length);
  images.forEach((d, i) => {
    try {
      pixels.set(imageToMnist(d.bytes, { contentType: d.contentType }).pixels, i * 784);
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      refused[i] = 1;
    }
  });
  return { pixels, refused };
}

/** The predicted digit of each of n outputs of 10, or -1 where the image was refused. */
export function predictedDigits(outputs: ArrayLike<number>, refused: Uint8Array): Int8Array {
  return Int8Array.from(refused, (r, i) => (r ? -1 : argmax(outputs, i * 10, 10)));
}

export interface Tally {
  right: number;
  total: number;
  accuracy: number;
}

/** Accuracy overall and by split, source, style and canvas/paper, from predicted digits. */
export function tallyDigitSet(images: DigitSetEntry[], predicted: ArrayLike<number>): Record<string, Tally> {
  const t: Record<string, Tally> = {};
  const add = (key: string, ok: boolean) => {
    const v = (t[key] ??= { right: 0, total: 0, accuracy: 0 });
    v.right += ok ? 1 : 0;
    v.total++;
    v.accuracy = v.right / v.total;
  };
  images.forEach((d, i) => {
    const ok = predicted[i] === d.label;
    // canvas is both a style and a group: counted once.
    const keys = [d.split, `${d.split} ${d.source}`, `${d.split} ${styleGroup(d.style)}`];
    if (d.style !== 'canvas') keys.push(`${d.split} ${d.style}`);
    for (const key of keys) add(key, ok);
  });
  return Object.fromEntries(Object.entries(t).sort(([a], [b]) => a.localeCompare(b)));
}
