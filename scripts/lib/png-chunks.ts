/** Builds PNG files chunk by chunk, for tests and fuzzers that need headers no encoder would write. */
import { Deflate, zlibSync } from 'fflate';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function ihdr(width: number, height: number, depth = 8, colorType = 0): Uint8Array {
  const d = new Uint8Array(13);
  const view = new DataView(d.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  d.set([depth, colorType, 0, 0, 0], 8);
  return chunk('IHDR', d);
}

/** The parts one after another, in a new buffer. */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Recomputes every chunk's CRC, so a mutation inside a chunk reaches the decoder behind the CRC check. */
export function fixCrcs(png: Uint8Array): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return out;
}

/** What rawPng writes: any colour type and bit depth, interlaced or not, samples given one by one. */
export interface RawPngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlaced?: boolean;
  /** Sample `c` of pixel (x, y), in 0 .. 2^depth - 1 (a palette index for colour type 3). */
  sample: (x: number, y: number, c: number) => number;
  /** PLTE entries as [r, g, b] (colour type 3). */
  palette?: Array<[number, number, number]>;
  /** The tRNS chunk's data, as written. */
  transparency?: Uint8Array;
  /** Chunks put between IHDR and the first IDAT (e.g. an iCCP). */
  extra?: Uint8Array[];
  /** Filter the rows with each of the five filter types in turn (default: none, type 0). */
  filtered?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * A PNG written sample by sample, deflated by fflate: the colour types, bit depths, interlacing and
 * filters an encoder library may not offer, at any size.
 *
 * @example
 * const png = rawPng({ width: 64, height: 64, colorType: 6, depth: 16, sample: (x, y, c) => (c === 3 ? 65535 : 0) });
 */
export function rawPng(spec: RawPngSpec): Uint8Array<ArrayBuffer> {
  const { width, height, colorType, depth } = spec;
  const channels = CHANNELS[colorType];
  const passes = spec.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rowBytes = (w: number) => 1 + Math.ceil((w * channels * depth) / 8);
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) total += h * rowBytes(w);
  }
  const raw = new Uint8Array(total);
  let at = 0;
  const bpp = Math.max(1, (channels * depth) >> 3);
  for (const [p, [x0, y0, dx, dy]] of passes.entries()) {
    const w = Math.ceil((width - x0) / dx);
    if (w <= 0) continue;
    const first = at;
    for (let y = y0; y < height; y += dy) {
      at++; // the filter type, set below
      let bits = 0;
      let acc = 0;
      for (let x = x0; x < width; x += dx) {
        for (let c = 0; c < channels; c++) {
          const v = spec.sample(x, y, c);
          if (depth === 16) {
            raw[at++] = v >> 8;
            raw[at++] = v & 255;
          } else if (depth === 8) {
            raw[at++] = v;
          } else {
            acc = (acc << depth) | v;
            bits += depth;
            if (bits === 8) {
              raw[at++] = acc;
              acc = bits = 0;
            }
          }
        }
      }
      if (bits) raw[at++] = acc << (8 - bits);
    }
    if (spec.filtered) filterPass(raw, first, rowBytes(w), (at - first) / rowBytes(w), bpp, p);
  }
  const head = new Uint8Array(13);
  const view = new DataView(head.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  head.set([depth, colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const parts = [SIGNATURE, chunk('IHDR', head), ...(spec.extra ?? [])];
  if (spec.palette) parts.push(chunk('PLTE', Uint8Array.from(spec.palette.flat())));
  if (spec.transparency) parts.push(chunk('tRNS', spec.transparency));
  parts.push(chunk('IDAT', zlibSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0)));
  return concat(...parts);
}

/**
 * Filters the rows of one pass in place with types 0 to 4 in turn (PNG spec, 9.2), bottom row first
 * and right to left, so that every byte is filtered against unfiltered neighbours.
 */
function filterPass(raw: Uint8Array, start: number, length: number, rows: number, bpp: number, pass: number): void {
  for (let r = rows - 1; r >= 0; r--) {
    const row = start + r * length;
    const up = row - length;
    const type = (r + pass) % 5;
    raw[row] = type;
    for (let i = length - 1; i >= 1; i--) {
      const a = i > bpp ? raw[row + i - bpp] : 0;
      const b = r > 0 ? raw[up + i] : 0;
      const c = r > 0 && i > bpp ? raw[up + i - bpp] : 0;
      let predictor = 0;
      if (type === 1) predictor = a;
      else if (type === 2) predictor = b;
      else if (type === 3) predictor = (a + b) >> 1;
      else if (type === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[row + i] = (raw[row + i] - predictor) & 255;
    }
  }
}

/**
 * A valid zlib stream that inflates to `mib` MiB of zeros in about a thousandth of that: one MiB
 * of zeros deflated and sync-flushed, repeated (every copy only refers back to zeros), a final
 * empty block, and the Adler-32 of the zeros (a = 1, b = n mod 65521).
 */
export function zlibOfZeros(mib: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const deflate = new Deflate({ level: 9 }, (c) => parts.push(c));
  deflate.push(new Uint8Array(1 << 20), false);
  deflate.flush(true);
  const megabyte = concat(...parts);
  const n = mib * (1 << 20);
  const adler = new Uint8Array(4);
  new DataView(adler.buffer).setUint32(0, (((n % 65521) << 16) | 1) >>> 0);
  return concat(new Uint8Array([0x78, 0xda]), ...Array.from({ length: mib }, () => megabyte), new Uint8Array([0x03, 0x00]), adler);
}

/** The ancillary chunks that carry zlib data, each a bomb inflating to `mib` MiB: a colour profile or compressed text. */
export function compressedChunk(type: 'iCCP' | 'zTXt' | 'iTXt', mib: number): Uint8Array {
  const z = zlibOfZeros(mib);
  const enc = (s: string) => new TextEncoder().encode(s);
  // iCCP: name, 0, method 0, data; zTXt: keyword, 0, method 0, data; iTXt: keyword, 0, compressed 1, method 0, language, 0, translated keyword, 0, data.
  const head = type === 'iCCP' ? enc('icc\0\0') : type === 'zTXt' ? enc('Comment\0\0') : enc('Comment\0\x01\0en\0Comment\0');
  return chunk(type, concat(head, z));
}
