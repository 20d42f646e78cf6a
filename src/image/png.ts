import { decode as decodePngPixels, convertIndexedToRgb, type DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import { decoding, ImageError } from './errors.ts';
import type { PngHeader } from './png-header.ts';
import type { Raster } from './raster.ts';

/**
 * Compressed data whose worst-case inflation (deflate's maximum ratio is about 1032:1) stays under
 * this is decoded directly; larger data is inflated once first, counting, to refuse a
 * decompression bomb before fast-png buffers it.
 */
const UNCHECKED_INFLATE_BYTES = 32 * 1024 * 1024;
const DEFLATE_MAX_RATIO = 1032;
const INFLATE_SLICE = 512;

/**
 * Decodes a PNG of any color type and bit depth (gray, gray+alpha, RGB, RGBA, palette; 1 to 16
 * bits; interlaced or not) with fast-png, checking CRCs. `header` comes from readPngHeader and has
 * already passed the size limits.
 *
 * @example
 * const raster = decodePng(bytes, readPngHeader(bytes));
 */
export function decodePng(bytes: Uint8Array, header: PngHeader): Raster {
  if (header.idatBytes * DEFLATE_MAX_RATIO > UNCHECKED_INFLATE_BYTES) checkInflatedSize(bytes, header);
  const png = decoding('PNG', () => decodePngPixels(bytes, { checkCrc: true }));
  if (png.width !== header.width || png.height !== header.height) {
    throw new ImageError('corrupt_image', `PNG data is corrupt: decoded ${png.width} x ${png.height}, header says ${header.width} x ${header.height}`);
  }
  return decoding('PNG', () => toRaster(png));
}

function toRaster(png: DecodedPng): Raster {
  const { width, height, depth } = png;
  if (png.palette) {
    const data = convertIndexedToRgb(png);
    return { width, height, channels: png.palette[0].length as 3 | 4, data };
  }
  const channels = png.channels as Raster['channels'];
  const expected = width * height * channels;
  let data = depth < 8 ? unpack(png.data as Uint8Array, width, height, depth) : png.data;
  if (data.length < expected) throw new Error(`pixel data holds ${data.length} samples, expected ${expected}`);
  const maxValue = depth === 16 ? 65535 : 255;
  // tRNS on gray or RGB names one color that is fully transparent (PNG spec, 11.3.2.1).
  const key = png.transparency;
  if (key && (channels === 1 || channels === 3) && key.length >= channels) {
    const scaled = Array.from(key.subarray(0, channels), (k) => (depth < 8 ? Math.round((k * 255) / ((1 << depth) - 1)) : k));
    return withColorKey(width, height, channels, data, scaled, maxValue);
  }
  if (data.length > expected) data = data.subarray(0, expected);
  return { width, height, channels, data, maxValue };
}

/** Sub-byte gray samples, packed with each row starting on a byte, spread to 0..255. */
function unpack(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  const scale = 255 / mask;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = packed[y * rowBytes + Math.floor(x / perByte)];
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = Math.round(((byte >> shift) & mask) * scale);
    }
  }
  return out;
}

function withColorKey(width: number, height: number, channels: 1 | 3, data: Raster['data'], key: number[], maxValue: number): Raster {
  const n = width * height;
  const out = maxValue === 255 ? new Uint8Array(n * (channels + 1)) : new Uint16Array(n * (channels + 1));
  for (let i = 0; i < n; i++) {
    let transparent = true;
    for (let c = 0; c < channels; c++) {
      const v = data[i * channels + c];
      out[i * (channels + 1) + c] = v;
      if (v !== key[c]) transparent = false;
    }
    out[i * (channels + 1) + channels] = transparent ? 0 : maxValue;
  }
  return { width, height, channels: (channels + 1) as 2 | 4, data: out, maxValue };
}

/** Inflates the IDAT stream, discarding output, and refuses more than the header's rows need. */
function checkInflatedSize(bytes: Uint8Array, header: PngHeader): void {
  const limit = header.inflatedBytes + 65536;
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > limit) {
      throw new ImageError('corrupt_image', `PNG data is corrupt: the pixel data inflates to more than the ${header.inflatedBytes} bytes a ${header.width} x ${header.height} image needs`);
    }
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  decoding('PNG', () => {
    for (let at = 8; at + 8 <= bytes.length; ) {
      const length = view.getUint32(at);
      const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
      if (type === 'IEND') break;
      // Small slices: fflate inflates a whole push before reporting, so one slice's output (at most
      // 1032 times its size) is the most that is ever held.
      if (type === 'IDAT') {
        for (let s = at + 8; s < at + 8 + length; s += INFLATE_SLICE) inflater.push(bytes.subarray(s, Math.min(s + INFLATE_SLICE, at + 8 + length)), false);
      }
      at += 12 + length;
    }
    inflater.push(new Uint8Array(0), true);
  });
  if (total < header.inflatedBytes) {
    throw new ImageError('truncated_image', `PNG data is truncated: the pixel data inflates to ${total} of the ${header.inflatedBytes} bytes the header promises`);
  }
}
