import { convertIndexedToRgb, decode as fastPngDecode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageToGray, ImageError, imageToMnist, readImageHeader, toGray } from '../../../src/image/index.ts';
import { rng } from '../../../scripts/lib/digit-synth.ts';
import { ancillaryBomb, ringPng } from '../../../scripts/lib/worst-images.ts';
import { chunk, concat, ihdr, rawPng, SIGNATURE, type RawPngSpec } from './png-bytes.ts';

// The row-by-row PNG decoder against two oracles: the samples the test wrote (exact), and fast-png,
// an independent decoder, on the same bytes.

const LAYOUTS: Array<[RawPngSpec['colorType'], RawPngSpec['depth']]> = [
  [0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [6, 8], [6, 16],
];
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/** A PNG of random samples, and the samples themselves. */
function randomPng(colorType: RawPngSpec['colorType'], depth: RawPngSpec['depth'], width: number, height: number, options: Partial<RawPngSpec> = {}) {
  const random = rng(colorType * 100 + depth + width * 7 + height);
  const channels = CHANNELS[colorType];
  const entries = colorType === 3 ? Math.min(1 << depth, 200) : 0;
  const samples = Array.from({ length: width * height * channels }, () => Math.floor(random() * (colorType === 3 ? entries : 2 ** depth)));
  const palette = colorType === 3 ? Array.from({ length: entries }, (): [number, number, number] => [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)]) : undefined;
  const bytes = rawPng({ width, height, colorType, depth, palette, sample: (x, y, c) => samples[(y * width + x) * channels + c], ...options });
  return { bytes, samples, palette, channels };
}

describe('the row-by-row PNG decoder', () => {
  for (const [colorType, depth] of LAYOUTS) {
    for (const interlaced of [false, true]) {
      it(`color type ${colorType}, ${depth} bits${interlaced ? ', interlaced' : ''}, every filter type: the samples written, and what fast-png reads`, () => {
        const [width, height] = [37, 29]; // odd sizes: partial bytes at row ends, empty Adam7 columns
        const { bytes, samples, palette, channels } = randomPng(colorType, depth, width, height, { interlaced, filtered: true });
        const raster = decodeImage(bytes);
        const expected = colorType === 3
          ? samples.flatMap((i) => palette![i])
          : depth < 8 ? samples.map((v) => Math.round((v * 255) / (2 ** depth - 1))) : samples;
        expect(raster).toMatchObject({ width, height, channels: colorType === 3 ? 3 : channels, maxValue: depth === 16 ? 65535 : 255 });
        expect(Array.from(raster.data)).toEqual(expected);
        // fast-png: the same samples (it leaves sub-byte gray packed and palettes as indices, and
        // reads no interlaced image under 8 bits).
        if (interlaced && depth < 8) return;
        const png = fastPngDecode(bytes);
        if (colorType === 3) expect(Array.from(raster.data)).toEqual(Array.from(convertIndexedToRgb(png)));
        else if (depth >= 8) expect(Array.from(raster.data)).toEqual(Array.from(png.data));
      });
    }
  }

  it('reads a tRNS color key as an alpha channel (gray 16-bit, RGB 8-bit) and palette alphas as RGBA', () => {
    const gray = decodeImage(rawPng({ width: 8, height: 8, colorType: 0, depth: 16, sample: (x) => (x < 4 ? 1234 : 60000), transparency: Uint8Array.of(0x04, 0xd2) }));
    expect(gray.channels).toBe(2);
    expect(Array.from(gray.data.subarray(0, 16))).toEqual([1234, 0, 1234, 0, 1234, 0, 1234, 0, 60000, 65535, 60000, 65535, 60000, 65535, 60000, 65535]);
    const rgb = decodeImage(rawPng({ width: 8, height: 8, colorType: 2, depth: 8, sample: (x, y, c) => (x < 4 ? [10, 20, 30][c] : 40), transparency: Uint8Array.of(0, 10, 0, 20, 0, 30) }));
    expect(Array.from(rgb.data.subarray(0, 8))).toEqual([10, 20, 30, 0, 10, 20, 30, 0]);
    expect(Array.from(rgb.data.subarray(16, 20))).toEqual([40, 40, 40, 255]);
    const indexed = decodeImage(rawPng({ width: 8, height: 8, colorType: 3, depth: 2, sample: (x) => x % 3, palette: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], transparency: Uint8Array.of(0, 128) }));
    expect(indexed.channels).toBe(4);
    expect(Array.from(indexed.data.subarray(0, 12))).toEqual([1, 2, 3, 0, 4, 5, 6, 128, 7, 8, 9, 255]);
  });

  it('ignores a tRNS chunk of the wrong size, as libpng does', () => {
    const png = rawPng({ width: 8, height: 8, colorType: 2, depth: 8, sample: () => 9, transparency: Uint8Array.of(0, 9) });
    expect(decodeImage(png).channels).toBe(3);
  });

  it('gives toGray(decodeImage(...)) without the full-size pixels, interlaced or not', () => {
    for (const interlaced of [false, true]) {
      const { bytes } = randomPng(6, 16, 300, 200, { interlaced, filtered: true });
      const reduced = decodeImageToGray(bytes, 64);
      const reference = toGray(decodeImage(bytes), 64);
      expect([reduced.gray.width, reduced.gray.height]).toEqual([60, 40]);
      // Rows arrive pass by pass when interlaced: the same sums in another order, so equal to float rounding.
      for (let i = 0; i < reference.data.length; i++) expect(reduced.gray.data[i]).toBeCloseTo(reference.data[i], 5);
    }
  });

  it('decodes a 2048 x 2048 16-bit RGBA PNG to gray holding a few MiB, not the 32 MiB of its pixels', () => {
    const png = ringPng(2048, 2048, 6, 16);
    const before = process.memoryUsage().arrayBuffers;
    const { gray } = decodeImageToGray(png, 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(6 << 20); // the 1024 x 1024 working image is 4 MiB
    expect([gray.width, gray.height]).toEqual([1024, 1024]);
    expect(gray.data[512 * 1024 + 512]).toBe(1); // paper (transparent) in the middle of the ring
    expect(imageToMnist(png).pixels.some((v) => v > 0.9)).toBe(true);
  });
});

describe('chunks the pixels do not need are never inflated', () => {
  it.each(['iCCP', 'zTXt', 'iTXt'] as const)('a %s chunk inflating to 256 MiB is skipped: the image is decoded, holding a few MiB', (type) => {
    const bomb = ancillaryBomb(type, 256);
    expect(bomb.bytes.length).toBeLessThan(300_000);
    const before = process.memoryUsage().arrayBuffers;
    const { pixels } = imageToMnist(bomb.bytes);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
    expect(pixels.some((v) => v > 0.9)).toBe(true);
  });

  const refused = (status: number, code: string) => expect.objectContaining({ name: 'ImageError', status, code });
  const IEND = chunk('IEND', new Uint8Array(0));
  const idat = (width: number, height: number) => {
    const { bytes } = randomPng(0, 8, width, height);
    return bytes.subarray(8 + 25, bytes.length - 12).slice(); // the IDAT chunk of a plain gray PNG
  };

  it('refuses an unknown critical chunk (415), skips an unknown ancillary one', () => {
    const plain = (extra: Uint8Array) => concat(SIGNATURE, ihdr(16, 16), extra, idat(16, 16), IEND);
    expect(() => readImageHeader(plain(chunk('CgBI', new Uint8Array(4))))).toThrow(refused(415, 'unsupported_media_type'));
    expect(decodeImage(plain(chunk('xyZw', new Uint8Array(1000)))).width).toBe(16);
  });

  it('refuses a palette or tRNS after the pixel data, a bad filter type, a palette index past the palette (400)', () => {
    const plte = chunk('PLTE', new Uint8Array([0, 0, 0, 255, 255, 255]));
    expect(() => readImageHeader(concat(SIGNATURE, ihdr(16, 16), idat(16, 16), plte, IEND))).toThrow(refused(400, 'corrupt_image'));
    // Row filter 5 does not exist.
    const rows = new Uint8Array(16 * 17);
    for (let r = 0; r < 16; r++) rows[r * 17] = r === 3 ? 5 : 0;
    const withFilter5 = concat(SIGNATURE, ihdr(16, 16), chunk('IDAT', zlib(rows)), IEND);
    expect(() => decodeImage(withFilter5)).toThrow(refused(400, 'corrupt_image'));
    expect(() => decodeImage(withFilter5)).toThrow(/filter type 5/);
    const pastPalette = rawPng({ width: 8, height: 8, colorType: 3, depth: 8, sample: (x) => x, palette: [[0, 0, 0], [9, 9, 9]] });
    expect(() => decodeImage(pastPalette)).toThrow(refused(400, 'corrupt_image'));
    expect(() => decodeImage(pastPalette)).toThrow(/palette index 2/);
  });

  it('refuses a chunk whose CRC does not match, ancillary ones included (400)', () => {
    const png = ringPng(64, 64, 0, 8, { extra: [chunk('tEXt', new TextEncoder().encode('Comment\0hello'))] });
    const broken = png.slice();
    broken[8 + 25 + 10] ^= 1; // inside the tEXt chunk
    expect(() => decodeImage(broken)).toThrow(refused(400, 'corrupt_image'));
    expect(() => decodeImage(broken)).toThrow(/tEXt .* CRC/);
  });

  it('says truncated (400) when the pixel data stops short of the rows the header promises', () => {
    const rows = new Uint8Array(16 * 10); // 10 of 16 rows
    const short = concat(SIGNATURE, ihdr(16, 16), chunk('IDAT', zlib(rows)), IEND);
    expect(() => decodeImage(short)).toThrow(refused(400, 'truncated_image'));
    expect(() => decodeImage(short)).toThrow(ImageError);
  });
});

function zlib(bytes: Uint8Array): Uint8Array {
  // Stored (uncompressed) deflate blocks: a second, independent way to write the stream.
  const parts: Uint8Array[] = [Uint8Array.of(0x78, 0x01)];
  for (let at = 0; at < bytes.length || at === 0; at += 65535) {
    const piece = bytes.subarray(at, at + 65535);
    const last = at + 65535 >= bytes.length;
    parts.push(Uint8Array.of(last ? 1 : 0, piece.length & 255, piece.length >> 8, ~piece.length & 255, (~piece.length >> 8) & 255), piece);
  }
  let a = 1;
  let b = 0;
  for (const v of bytes) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  parts.push(Uint8Array.of(b >> 8, b & 255, a >> 8, a & 255));
  return concat(...parts);
}
