import { ImageError } from './errors.ts';
import type { Raster } from './raster.ts';

/** One channel of floats, row-major; in this module 0 is black and 1 is white unless said otherwise. */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Luminance with alpha composited over white (a canvas gives dark ink on transparent pixels, which
 * must read as ink on paper), reduced by a whole factor f (f x f area averaging) so the longer side
 * is at most `maxSide`. Luma weights are ITU-R BT.601's, on the encoded values, as JPEG's Y is.
 *
 * @example
 * const gray = toGray({ width: 2, height: 1, channels: 4, data: new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0]) });
 * gray.data; // Float32Array [0, 1]: opaque black, transparent reads as white paper
 */
export function toGray(raster: Raster, maxSide = Infinity): GrayImage {
  const { width, height, channels, data } = raster;
  const max = raster.maxValue ?? 255;
  if (data.length < width * height * channels) {
    throw new ImageError('corrupt_image', `pixel data holds ${data.length} samples; ${width} x ${height} x ${channels} needs ${width * height * channels}`);
  }
  const f = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  const ow = Math.ceil(width / f);
  const oh = Math.ceil(height / f);
  const sum = new Float32Array(ow * oh);
  const color = channels >= 3;
  const alpha = channels === 2 || channels === 4;
  const [wr, wg, wb] = [0.299 / max, 0.587 / max, 0.114 / max];
  const inv = 1 / max;
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / f) * ow;
    let i = y * width * channels;
    for (let x = 0; x < width; x++, i += channels) {
      let lum = color ? wr * data[i] + wg * data[i + 1] + wb * data[i + 2] : data[i] * inv;
      if (alpha) {
        const a = data[i + channels - 1] * inv;
        lum = a * lum + (1 - a);
      }
      sum[row + Math.floor(x / f)] += lum;
    }
  }
  if (f > 1) {
    // Edge blocks may hold fewer than f x f pixels.
    for (let oy = 0; oy < oh; oy++) {
      const rows = Math.min(f, height - oy * f);
      for (let ox = 0; ox < ow; ox++) sum[oy * ow + ox] /= rows * Math.min(f, width - ox * f);
    }
  }
  return { width: ow, height: oh, data: sum };
}
