import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the labelled non-MNIST digits live (made by scripts/make-digit-fixtures.ts). */
export const DIGITS_DIR = fileURLToPath(new URL('../../fixtures/digits/', import.meta.url));

export interface DigitFixture {
  file: string;
  label: number;
  /** "font: <family>" or "strokes" (synthetic hand-drawn). */
  source: string;
  /** canvas: browser PNG, transparent background; scan: dark on white; inverted: light on dark; photo: JPEG of paper. */
  style: 'canvas' | 'scan' | 'inverted' | 'photo';
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** The ink's true box in the image, before styling: [x, y, width, height]. */
  box: [number, number, number, number];
  bytes: Uint8Array;
}

/**
 * The labelled digits that are not from MNIST (fonts Debian ships and synthetic hand strokes, drawn
 * in Chromium; four styles), with their bytes, ready to post or to preprocess.
 *
 * @example
 * for (const f of loadDigitFixtures()) expect(classify(imageToMnist(f.bytes).pixels)).toBe(f.label);
 */
export function loadDigitFixtures(filter: (f: Omit<DigitFixture, 'bytes'>) => boolean = () => true): DigitFixture[] {
  const manifest = JSON.parse(readFileSync(join(DIGITS_DIR, 'manifest.json'), 'utf8')) as { fixtures: Array<Omit<DigitFixture, 'bytes'>> };
  return manifest.fixtures.filter(filter).map((f) => ({ ...f, bytes: new Uint8Array(readFileSync(join(DIGITS_DIR, f.file))) }));
}
