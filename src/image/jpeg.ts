/// <reference path="./jpeg-decoder.d.ts" />
import decodeJpegPixels from 'jpeg-js/lib/decoder.js';
import { decoding, ImageError } from './errors.ts';
import { withoutComments, type JpegHeader } from './jpeg-header.ts';
import { DECODE_MEMORY_BYTES } from './limits.ts';
import type { Raster } from './raster.ts';

/**
 * What jpeg-js's coefficient block costs: an Int32Array(64), 256 bytes of data, plus its object and
 * allocation; measured as about 600 bytes of workerd's growth per block (see DECODE_MEMORY_BYTES).
 */
export const JPEG_BLOCK_BYTES = 640;
/** What one of jpeg-js's output lines costs beside its samples (a Uint8Array object and allocation). */
const JPEG_LINE_BYTES = 320;
/**
 * Comments up to this many bytes are left to jpeg-js (a few short strings); more are stripped
 * first (withoutComments), which costs a copy of the rest of the file.
 */
const COMMENTS_KEPT_BYTES = 64 * 1024;

/**
 * The most memory jpeg-js (0.4.4) holds decoding this JPEG, from its frame header: every block of
 * every component, MCU-padded as it allocates them; each component's lines; the components
 * interleaved; the RGB output.
 *
 * @example
 * jpegDecodeBytes({ width: 1024, height: 1024, sampling: [[2, 2], [1, 1], [1, 1]], ... }); // about 24 MB
 */
export function jpegDecodeBytes(header: Pick<JpegHeader, 'width' | 'height' | 'sampling'>): number {
  const { width, height, sampling } = header;
  const hMax = Math.max(...sampling.map(([h]) => h));
  const vMax = Math.max(...sampling.map(([, v]) => v));
  const mcusPerLine = Math.ceil(width / 8 / hMax);
  const mcusPerColumn = Math.ceil(height / 8 / vMax);
  let bytes = width * height * (sampling.length + 3);
  for (const [h, v] of sampling) {
    bytes += mcusPerLine * h * mcusPerColumn * v * JPEG_BLOCK_BYTES;
    const lineSamples = Math.ceil((Math.ceil(width / 8) * h) / hMax) * 8;
    const lines = Math.ceil((Math.ceil(height / 8) * v) / vMax) * 8;
    bytes += lines * (lineSamples + JPEG_LINE_BYTES);
  }
  return bytes;
}

/**
 * Refuses (413) a JPEG of `fileBytes` whose decoding would take more than `budget` bytes
 * (DECODE_MEMORY_BYTES at most), naming how many pixels of its layout would fit.
 *
 * @example
 * checkJpegMemory(readJpegHeader(bytes), bytes.length); // throws ImageError 413 for a 2048 x 2048 4:4:4 JPEG
 */
export function checkJpegMemory(header: JpegHeader, fileBytes: number, budget = DECODE_MEMORY_BYTES): void {
  const limit = Math.min(budget, DECODE_MEMORY_BYTES);
  const copy = header.commentBytes > COMMENTS_KEPT_BYTES ? fileBytes - header.commentBytes : 0;
  const needs = jpegDecodeBytes(header) + copy;
  if (needs <= limit) return;
  const perPixel = needs / (header.width * header.height);
  const layout = header.sampling.map(([h, v]) => `${h}x${v}`).join(', ');
  throw new ImageError(
    'too_many_pixels',
    `the image is a ${header.width} x ${header.height} JPEG of ${header.components} component${header.components > 1 ? 's' : ''} (sampling ${layout}); decoding it takes about ${mb(needs)} MB, over the ${mb(limit)} MB allowed: about ${(limit / perPixel / 1e6).toFixed(1)} megapixels of this layout fit; send a smaller image or a PNG`,
  );
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/**
 * Decodes a baseline or progressive JPEG with jpeg-js (typed arrays only: no Node Buffer), as RGB,
 * its comments stripped first when they are long. `header` comes from readJpegHeader and has
 * already passed the size and memory limits.
 *
 * @example
 * const raster = decodeJpeg(bytes, readJpegHeader(bytes));
 */
export function decodeJpeg(bytes: Uint8Array, header: JpegHeader): Raster {
  const input = header.commentBytes > COMMENTS_KEPT_BYTES ? withoutComments(bytes) : bytes;
  const img = decoding('JPEG', () =>
    decodeJpegPixels(input, {
      useTArray: true, // Uint8Array output instead of Buffer.alloc, so it runs in Workers and browsers
      formatAsRGBA: false,
      // tolerantDecoding (the default) only skips blocks past the frame when a restart interval overruns it;
      // truncation is caught before, by readJpegHeader requiring EOI.
      // Both were checked before (checkDimensions, checkJpegMemory); jpeg-js counts its data bytes only.
      maxResolutionInMP: Math.ceil((header.width * header.height) / 1e6),
      maxMemoryUsageInMB: Math.ceil(DECODE_MEMORY_BYTES / (1 << 20)),
    }),
  );
  if (img.width !== header.width || img.height !== header.height) {
    throw new ImageError('corrupt_image', `JPEG data is corrupt: decoded ${img.width} x ${img.height}, header says ${header.width} x ${header.height}`);
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data, maxValue: 255, orientation: header.orientation };
}
