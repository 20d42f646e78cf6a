import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { toGray, type GrayImage } from '../../../src/image/index.ts';

export const CODECS = fileURLToPath(new URL('../../fixtures/codecs/', import.meta.url));

export function codecFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CODECS, name)));
}

export function codecFixtures(pattern: RegExp): string[] {
  return readdirSync(CODECS).filter((f) => pattern.test(f) && !f.includes('.ref.')).sort();
}

/** A reference written by an independent decoder (ImageMagick/libpng or djpeg) as RGBA8, to gray over white. */
export function referenceGray(name: string): GrayImage {
  const png = decode(codecFixture(name));
  return toGray({ width: png.width, height: png.height, channels: 4, data: png.data as Uint8Array });
}

/** Largest and mean absolute difference, in 8-bit levels. */
export function difference(a: GrayImage, b: GrayImage): { max: number; mean: number } {
  if (a.width !== b.width || a.height !== b.height) return { max: Infinity, mean: Infinity };
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]) * 255;
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}
