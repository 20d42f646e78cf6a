import type { Orientation } from './orientation.ts';

/**
 * Decoded pixels, interleaved, as the codec gave them: 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA
 * channels per pixel, samples from 0 to `maxValue` (255, or 65535 for 16-bit PNGs).
 * A canvas's ImageData fits as `{ ...imageData, channels: 4 }`.
 */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** 255 when absent. */
  maxValue?: number;
  /** EXIF orientation of the stored pixels (1, upright, when absent). */
  orientation?: Orientation;
}
