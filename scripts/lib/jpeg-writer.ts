/**
 * JPEG files written marker by marker (ITU T.81), every 8 x 8 block flat (its DC coefficient
 * only, quantised by 1): baseline or progressive, 1, 3 or 4 components, any sampling factors, as
 * many scans as asked. What an encoder library does not offer (jpeg-js writes baseline 4:4:4 only),
 * for tests and measurements of the decoder's memory and time at the largest sizes allowed.
 * Web-standard APIs only. Sizes are best kept multiples of 8 x the largest sampling factor, where
 * every decoder agrees on the number of blocks.
 */
import { concat } from './png-chunks.ts';

/** One progressive scan of AC coefficients, of one component: spectral band and successive approximation. */
export interface AcScan {
  Ss: number;
  Se: number;
  Ah: number;
  Al: number;
}

export interface JpegSpec {
  width: number;
  height: number;
  /** [H, V] sampling factors (1 to 4) of each component: 1 gray, 3 YCbCr, 4 CMYK (written with an Adobe marker). */
  sampling: Array<[number, number]>;
  /** Component `c`'s level (0..255) around image pixel (x, y); each block takes it at its centre. */
  level: (x: number, y: number, c: number) => number;
  /** Progressive: DC first at `dcAl` then one refinement scan per bit, then `ac` scans for each component. */
  progressive?: { dcAl: number; ac: AcScan[] };
}

// Annex K, table K.3: the luminance DC table (categories 0 to 11).
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// An AC table of end-of-band runs only (EOB, EOB1 .. EOB14: symbols r << 4), each 4 bits long.
const AC_BITS = [0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALUES = Array.from({ length: 15 }, (_, r) => r << 4);

/**
 * @example
 * const jpeg = writeJpeg({ width: 64, height: 64, sampling: [[2, 2], [1, 1], [1, 1]], level: (x, y, c) => (c ? 128 : x < 32 ? 0 : 255) });
 */
export function writeJpeg(spec: JpegSpec): Uint8Array<ArrayBuffer> {
  const { width, height, sampling } = spec;
  const n = sampling.length;
  const hMax = Math.max(...sampling.map(([h]) => h));
  const vMax = Math.max(...sampling.map(([, v]) => v));
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  // Each component's DC coefficients over the MCU-padded block grid: 8 x (level - 128) for a flat block.
  const comps = sampling.map(([h, v], c) => {
    const cols = mcusX * h;
    const rows = mcusY * v;
    const dc = new Int16Array(cols * rows);
    for (let by = 0; by < rows; by++) {
      for (let bx = 0; bx < cols; bx++) {
        const x = Math.min(width - 1, Math.floor(((bx * 8 + 4) * hMax) / h));
        const y = Math.min(height - 1, Math.floor(((by * 8 + 4) * vMax) / v));
        dc[by * cols + bx] = 8 * (Math.round(spec.level(x, y, c)) - 128);
      }
    }
    // Blocks a single-component scan covers (T.81 A.2.2): the component's own size, unpadded.
    const blocksX = Math.ceil(Math.ceil((width * h) / hMax) / 8);
    const blocksY = Math.ceil(Math.ceil((height * v) / vMax) / 8);
    return { h, v, cols, dc, blocksX, blocksY };
  });
  const dcCodes = huffmanCodes(DC_BITS, DC_VALUES);
  const acCodes = huffmanCodes(AC_BITS, AC_VALUES);

  const parts: Uint8Array[] = [new Uint8Array([0xff, 0xd8])];
  parts.push(segment(0xdb, [0, ...new Array(64).fill(1)]));
  if (n === 4) parts.push(segment(0xee, [...'Adobe'].map((ch) => ch.charCodeAt(0)).concat([0, 100, 0, 0, 0, 0, 0])));
  const sof = [8, height >> 8, height & 255, width >> 8, width & 255, n];
  sampling.forEach(([h, v], c) => sof.push(c + 1, (h << 4) | v, 0));
  parts.push(segment(spec.progressive ? 0xc2 : 0xc0, sof));
  parts.push(segment(0xc4, [0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES]));
  const scan = (components: number[], Ss: number, Se: number, Ah: number, Al: number, body: (bits: BitWriter) => void) => {
    parts.push(segment(0xda, [components.length, ...components.flatMap((c) => [c + 1, 0x00]), Ss, Se, (Ah << 4) | Al]));
    const bits = new BitWriter();
    body(bits);
    parts.push(bits.finish());
  };
  // Every block of an interleaved scan, MCU by MCU (T.81 A.2.3).
  const interleaved = (visit: (c: number, i: number) => void) => {
    for (let my = 0; my < mcusY; my++) {
      for (let mx = 0; mx < mcusX; mx++) {
        comps.forEach((k, c) => {
          for (let v = 0; v < k.v; v++) for (let h = 0; h < k.h; h++) visit(c, (my * k.v + v) * k.cols + mx * k.h + h);
        });
      }
    }
  };
  // A single-component scan is interleaved by definition of one block per MCU, over the unpadded grid.
  const eachBlock = n === 1 ? (visit: (c: number, i: number) => void) => {
    const k = comps[0];
    for (let by = 0; by < k.blocksY; by++) for (let bx = 0; bx < k.blocksX; bx++) visit(0, by * k.cols + bx);
  } : interleaved;
  const all = comps.map((_, c) => c);
  const dcScan = (Al: number) => (bits: BitWriter) => {
    const pred = new Array(n).fill(0);
    eachBlock((c, i) => {
      const value = comps[c].dc[i] >> Al;
      writeDc(bits, dcCodes, value - pred[c]);
      pred[c] = value;
      if (!spec.progressive) bits.write(acCodes.get(0x00)!); // EOB: no AC coefficient
    });
  };
  if (!spec.progressive) {
    scan(all, 0, 63, 0, 0, dcScan(0));
  } else {
    const { dcAl, ac } = spec.progressive;
    scan(all, 0, 0, 0, dcAl, dcScan(dcAl));
    for (let b = dcAl - 1; b >= 0; b--) scan(all, 0, 0, b + 1, b, (bits) => eachBlock((c, i) => bits.write({ code: (comps[c].dc[i] >> b) & 1, length: 1 })));
    for (const { Ss, Se, Ah, Al } of ac) {
      comps.forEach((k, c) => scan([c], Ss, Se, Ah, Al, (bits) => writeEndOfBands(bits, acCodes, k.blocksX * k.blocksY)));
    }
  }
  parts.push(new Uint8Array([0xff, 0xd9]));
  return concat(...parts);
}

interface Code {
  code: number;
  length: number;
}

/** Canonical Huffman codes from a DHT's counts per length and its values (T.81 C.2). */
function huffmanCodes(bits: number[], values: number[]): Map<number, Code> {
  const codes = new Map<number, Code>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]; i++) codes.set(values[k++], { code: code++, length });
    code <<= 1;
  }
  return codes;
}

/** A DC difference: its category's code, then its low bits (ones' complement when negative; T.81 F.1.2.1). */
function writeDc(bits: BitWriter, codes: Map<number, Code>, diff: number): void {
  const magnitude = Math.abs(diff);
  const category = magnitude === 0 ? 0 : 32 - Math.clz32(magnitude);
  bits.write(codes.get(category)!);
  if (category) bits.write({ code: diff > 0 ? diff : diff + (1 << category) - 1, length: category });
}

/** `blocks` blocks with no coefficient in the band: end-of-band runs of up to 32,767 blocks (T.81 G.1.2.2). */
function writeEndOfBands(bits: BitWriter, codes: Map<number, Code>, blocks: number): void {
  for (let left = blocks; left > 0; ) {
    const r = Math.min(14, 31 - Math.clz32(left));
    const extra = Math.min(left - (1 << r), (1 << r) - 1);
    bits.write(codes.get(r << 4)!);
    if (r) bits.write({ code: extra, length: r });
    left -= (1 << r) + extra;
  }
}

/** A marker segment: FF, the marker, a 16-bit length, the payload. */
function segment(marker: number, payload: number[]): Uint8Array {
  const length = payload.length + 2;
  return Uint8Array.from([0xff, marker, length >> 8, length & 255, ...payload]);
}

/** Entropy-coded bytes, most significant bit first, 0xFF stuffed with 0x00, padded with ones. */
class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private count = 0;

  write({ code, length }: Code): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }

  finish(): Uint8Array {
    while (this.count) this.write({ code: 1, length: 1 });
    return Uint8Array.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.count = 0;
  }
}
