import { decode as decodeJpegPixels } from 'jpeg-js';
import { decoding, ImageError } from './errors.ts';
import type { JpegHeader } from './jpeg-header.ts';
import type { Raster } from './raster.ts';

/**
 * Decodes a baseline or progressive JPEG with jpeg-js (typed arrays only: no Node Buffer), as RGB.
 * `header` comes from readJpegHeader and has already passed the size limits.
 *
 * @example
 * const raster = decodeJpeg(bytes, readJpegHeader(bytes));
 */
export function decodeJpeg(bytes: Uint8Array, header: JpegHeader): Raster {
  const img = decoding('JPEG', () =>
    decodeJpegPixels(bytes, {
      useTArray: true, // Uint8Array output instead of Buffer.alloc, so it runs in Workers and browsers
      formatAsRGBA: false,
      // tolerantDecoding (the default) only skips blocks past the frame when a restart interval overruns it;
      // truncation is caught before, by readJpegHeader requiring EOI.
      maxResolutionInMP: Math.ceil((header.width * header.height) / 1e6),
      maxMemoryUsageInMB: 1024,
    }),
  );
  if (img.width !== header.width || img.height !== header.height) {
    throw new ImageError('corrupt_image', `JPEG data is corrupt: decoded ${img.width} x ${img.height}, header says ${header.width} x ${header.height}`);
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data, maxValue: 255, orientation: header.orientation };
}
