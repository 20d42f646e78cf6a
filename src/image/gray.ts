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
  if (data.length < width * height * channels) {
    throw new ImageError('corrupt_image', `pixel data holds ${data.length} samples; ${width} x ${height} x ${channels} needs ${width * height * channels}`);
  }
  const gray = new GrayReducer(width, height, channels, raster.maxValue ?? 255, maxSide);
  for (let y = 0; y < height; y++) gray.addRow(y, 0, 1, data, y * width * channels, width);
  return gray.finish();
}

/**
 * toGray fed row by row, in any order (an interlaced PNG's passes): it holds only the reduced
 * image, so a decoder that streams its rows never needs the full-size pixels.
 *
 * @example
 * const gray = new GrayReducer(4096, 3072, 4, 65535, 1024); // 1024 x 768 sums, 3 MiB
 * gray.addRow(0, 0, 1, rgbaRow, 0, 4096);
 * const image = gray.finish();
 */
export class GrayReducer {
  readonly factor: number;
  private readonly sum: Float32Array;
  private readonly ow: number;
  private readonly oh: number;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: Raster['channels'],
    readonly maxValue: number,
    maxSide = Infinity,
  ) {
    this.factor = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
    this.ow = Math.ceil(width / this.factor);
    this.oh = Math.ceil(height / this.factor);
    this.sum = new Float32Array(this.ow * this.oh);
  }

  /** `count` pixels of row `y`, at x = x0, x0 + dx, ..., interleaved in `samples` from `offset`. */
  addRow(y: number, x0: number, dx: number, samples: ArrayLike<number>, offset: number, count: number): void {
    const { channels, factor: f, sum } = this;
    const max = this.maxValue;
    const color = channels >= 3;
    const alpha = channels === 2 || channels === 4;
    const [wr, wg, wb] = [0.299 / max, 0.587 / max, 0.114 / max];
    const inv = 1 / max;
    const row = Math.floor(y / f) * this.ow;
    let i = offset;
    for (let k = 0, x = x0; k < count; k++, x += dx, i += channels) {
      let lum = color ? wr * samples[i] + wg * samples[i + 1] + wb * samples[i + 2] : samples[i] * inv;
      if (alpha) {
        const a = samples[i + channels - 1] * inv;
        lum = a * lum + (1 - a);
      }
      sum[row + Math.floor(x / f)] += lum;
    }
  }

  /** The reduced image: each sum divided by its block's pixel count (edge blocks may hold fewer than f x f). */
  finish(): GrayImage {
    const { factor: f, sum, ow, oh, width, height } = this;
    if (f > 1) {
      for (let oy = 0; oy < oh; oy++) {
        const rows = Math.min(f, height - oy * f);
        for (let ox = 0; ox < ow; ox++) sum[oy * ow + ox] /= rows * Math.min(f, width - ox * f);
      }
    }
    return { width: ow, height: oh, data: sum };
  }
}
