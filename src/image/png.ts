/// <reference path="./pako-inflate.d.ts" />
import { Inflate } from 'pako/lib/inflate.js';
import { crc32 } from './crc32.ts';
import { decoding, ImageError } from './errors.ts';
import { GrayReducer, type GrayImage } from './gray.ts';
import { ADAM7, SAMPLES, type PngHeader } from './png-header.ts';
import type { Raster } from './raster.ts';

/**
 * Inflated bytes handed over at a time: pako (zlib's inflate) fills a buffer of this size and reports
 * it, so this is the most held at once however far a "zlib bomb" would inflate.
 */
const INFLATE_CHUNK = 64 * 1024;
/** Inflated bytes tolerated past the rows the header promises (some encoders pad), then refused. */
const INFLATE_SLACK = 65536;

/**
 * Receives one decoded row of a pass and must copy what it keeps: `count` pixels of row `y` at
 * x = x0, x0 + dx, ... (dx > 1 in an interlaced pass), interleaved as pngPixels says.
 */
export type PngRowSink = (y: number, x0: number, dx: number, samples: Uint8Array | Uint16Array, count: number) => void;

/**
 * How decoded rows are laid out: gray, gray+alpha, RGB or RGBA. A palette becomes RGB (RGBA with
 * tRNS); a tRNS color key adds an alpha channel to gray or RGB; gray under 8 bits is scaled to 0..255.
 */
export function pngPixels(header: PngHeader): { channels: Raster['channels']; maxValue: number } {
  const key = header.transparency !== undefined;
  const channels = header.colorType === 3 ? (key ? 4 : 3) : SAMPLES[header.colorType] + (key ? 1 : 0);
  return { channels: channels as Raster['channels'], maxValue: header.bitDepth === 16 ? 65535 : 255 };
}

/**
 * Decodes a PNG of any color type and bit depth (gray, gray+alpha, RGB, RGBA, palette; 1 to 16
 * bits; interlaced or not) row by row: the IDAT stream is inflated a chunk at a time, each row
 * unfiltered (PNG spec, 9) against the one before and handed to `sink`, so that only two rows are
 * held, never the image. Every chunk's CRC is checked; inflating more than the header's rows need
 * is refused as it happens (a "zlib bomb"); ancillary chunks are never read. Written here because
 * fast-png, the usual decoder, holds the whole inflated stream twice and the pixels once (100 MB
 * for a 4-megapixel 16-bit RGBA image) and inflates color profiles without a bound;
 * test/unit/image checks this decoder against it. `header` comes from readPngHeader and has passed
 * the size limits.
 *
 * @example
 * decodePngRows(bytes, readPngHeader(bytes), (y, x0, dx, samples, count) => { ... });
 */
export function decodePngRows(bytes: Uint8Array, header: PngHeader, sink: PngRowSink): void {
  const { width, height, bitDepth: depth, colorType } = header;
  const bitsPerPixel = SAMPLES[colorType] * depth;
  const stride = Math.max(1, bitsPerPixel >> 3); // bytes between a byte and the one it is filtered against
  const passes = (header.interlaced ? ADAM7 : [[0, 0, 1, 1]])
    .map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, w: Math.ceil((width - x0) / dx), h: Math.ceil((height - y0) / dy) }))
    .filter((p) => p.w > 0 && p.h > 0);
  const maxRow = 1 + Math.ceil((width * bitsPerPixel) / 8);
  let cur = new Uint8Array(maxRow);
  let prev = new Uint8Array(maxRow);
  const expand = rowExpander(header);
  let pass = 0;
  let row = 0;
  let rowBytes = 1 + Math.ceil((passes[0].w * bitsPerPixel) / 8);
  let filled = 0;
  let total = 0;
  const inflater = new Inflate({ chunkSize: INFLATE_CHUNK });
  // pako gives each full chunk a buffer of its own; the rows are copied out of it at once, so it is
  // handed back to zlib's stream to fill again (zlib keeps its window apart): one chunk is all held.
  const stream = (inflater as unknown as { strm: { output: Uint8Array; next_out: number; avail_out: number } }).strm;
  inflater.onData = (data) => {
    const chunk = data as Uint8Array;
    total += chunk.length;
    if (total > header.inflatedBytes + INFLATE_SLACK) {
      throw new ImageError('corrupt_image', `PNG data is corrupt: the pixel data inflates to more than the ${header.inflatedBytes} bytes a ${width} x ${height} image needs`);
    }
    for (let at = 0; at < chunk.length && pass < passes.length; ) {
      const n = Math.min(rowBytes - filled, chunk.length - at);
      cur.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled < rowBytes) break;
      unfilter(cur, prev, rowBytes, stride);
      const p = passes[pass];
      const { samples, count } = expand(cur, p.w);
      sink(p.y0 + row * p.dy, p.x0, p.dx, samples, count);
      [cur, prev] = [prev, cur];
      filled = 0;
      if (++row === p.h) {
        row = 0;
        if (++pass < passes.length) {
          rowBytes = 1 + Math.ceil((passes[pass].w * bitsPerPixel) / 8);
          prev.fill(0); // each pass starts afresh: its first row has no row above
        }
      }
    }
    if (chunk === stream.output) {
      stream.next_out = 0;
      stream.avail_out = chunk.length;
    }
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  decoding('PNG', () => {
    for (let at = 8; at + 8 <= bytes.length; ) {
      const length = view.getUint32(at);
      const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
      if (crc32(bytes, at + 4, at + 8 + length) !== view.getUint32(at + 8 + length)) {
        throw new ImageError('corrupt_image', `PNG data is corrupt: chunk ${type} at byte ${at} fails its CRC check`);
      }
      if (type === 'IEND') break;
      if (type === 'IDAT' && !inflater.push(bytes.subarray(at + 8, at + 8 + length), false)) break;
      at += 12 + length;
    }
    inflater.push(new Uint8Array(0), true);
  });
  if (inflater.err) throw new ImageError('corrupt_image', `PNG data is corrupt: the pixel data does not inflate (${inflater.msg})`);
  if (pass < passes.length) {
    throw new ImageError('truncated_image', `PNG data is truncated: the pixel data inflates to ${total} of the ${header.inflatedBytes} bytes the header promises`);
  }
}

/**
 * The PNG's pixels, interleaved as they are stored (see pngPixels).
 *
 * @example
 * const raster = decodePng(bytes, readPngHeader(bytes));
 */
export function decodePng(bytes: Uint8Array, header: PngHeader): Raster {
  const { width, height } = header;
  const { channels, maxValue } = pngPixels(header);
  const data = maxValue === 65535 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  decodePngRows(bytes, header, (y, x0, dx, samples, count) => {
    if (dx === 1) return data.set(samples.subarray(0, count * channels), (y * width + x0) * channels);
    for (let k = 0, x = x0; k < count; k++, x += dx) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = samples[k * channels + c];
    }
  });
  return { width, height, channels, data, maxValue };
}

/**
 * The PNG as toGray(decodePng(...), maxSide) makes it, without the full-size pixels ever existing:
 * each row is folded into the reduced image as it is decoded.
 *
 * @example
 * const gray = decodePngToGray(bytes, readPngHeader(bytes), 1024);
 */
export function decodePngToGray(bytes: Uint8Array, header: PngHeader, maxSide: number): GrayImage {
  const { channels, maxValue } = pngPixels(header);
  const gray = new GrayReducer(header.width, header.height, channels, maxValue, maxSide);
  decodePngRows(bytes, header, (y, x0, dx, samples, count) => gray.addRow(y, x0, dx, samples, 0, count));
  return gray.finish();
}

/** Undoes a row's filter in place, against the previous row of its pass (PNG spec, 9.2). */
function unfilter(cur: Uint8Array, prev: Uint8Array, length: number, bpp: number): void {
  const type = cur[0];
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = 1 + bpp; i < length; i++) cur[i] = (cur[i] + cur[i - bpp]) & 255;
      return;
    case 2:
      for (let i = 1; i < length; i++) cur[i] = (cur[i] + prev[i]) & 255;
      return;
    case 3:
      for (let i = 1; i < length; i++) cur[i] = (cur[i] + ((prev[i] + (i > bpp ? cur[i - bpp] : 0)) >> 1)) & 255;
      return;
    case 4:
      for (let i = 1; i < length; i++) {
        const a = i > bpp ? cur[i - bpp] : 0;
        const b = prev[i];
        const c = i > bpp ? prev[i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        cur[i] = (cur[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default:
      throw new ImageError('corrupt_image', `PNG data is corrupt: a row has filter type ${type} (0 to 4 allowed)`);
  }
}

/** Turns one unfiltered row (after its filter byte) into samples laid out as pngPixels says. */
function rowExpander(header: PngHeader): (row: Uint8Array, width: number) => { samples: Uint8Array | Uint16Array; count: number } {
  const { width, bitDepth: depth, colorType, palette } = header;
  const { channels: out } = pngPixels(header);
  const stored = SAMPLES[colorType];
  const samples = depth === 16 ? new Uint16Array(width * out) : new Uint8Array(width * out);
  const key = colorType !== 3 && header.transparency ? keyOf(header.transparency, stored) : null;
  const alpha = colorType === 3 && header.transparency ? header.transparency : null;
  const mask = (1 << depth) - 1;
  const perByte = 8 / depth;
  const max = depth === 16 ? 65535 : 255;
  // Gray under 8 bits spreads to 0..255 (1 bit: 0 or 255); a palette index is used as it is.
  const scale = colorType === 3 ? 1 : 255 / mask;
  return (row, w) => {
    for (let x = 0, o = 0; x < w; x++) {
      if (depth < 8) {
        const v = (row[1 + Math.floor(x / perByte)] >> (8 - depth * ((x % perByte) + 1))) & mask;
        if (colorType === 3) {
          o = paletteEntry(samples, o, v, palette!, alpha);
        } else {
          samples[o++] = Math.round(v * scale);
          if (key) samples[o++] = v === key[0] ? 0 : 255;
        }
        continue;
      }
      if (colorType === 3) {
        o = paletteEntry(samples, o, row[1 + x], palette!, alpha);
        continue;
      }
      let transparent = key !== null;
      for (let c = 0; c < stored; c++) {
        const at = 1 + (x * stored + c) * (depth >> 3);
        const v = depth === 16 ? (row[at] << 8) | row[at + 1] : row[at];
        samples[o++] = v;
        if (key && v !== key[c]) transparent = false;
      }
      if (key) samples[o++] = transparent ? 0 : max;
    }
    return { samples, count: w };
  };
}

/** The gray or RGB value a tRNS chunk names fully transparent: 16-bit big-endian samples, at the image's bit depth. */
function keyOf(trns: Uint8Array, samples: number): number[] {
  return Array.from({ length: samples }, (_, c) => (trns[2 * c] << 8) | trns[2 * c + 1]);
}

function paletteEntry(samples: Uint8Array | Uint16Array, o: number, index: number, palette: Uint8Array, alpha: Uint8Array | null): number {
  if (3 * index >= palette.length) {
    throw new ImageError('corrupt_image', `PNG data is corrupt: palette index ${index} is past the ${palette.length / 3} colors of its palette`);
  }
  samples[o++] = palette[3 * index];
  samples[o++] = palette[3 * index + 1];
  samples[o++] = palette[3 * index + 2];
  if (alpha) samples[o++] = index < alpha.length ? alpha[index] : 255;
  return o;
}
