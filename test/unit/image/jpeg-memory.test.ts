import { describe, expect, it } from 'vitest';
import { decodeImage, imageToMnist, MAX_JPEG_SCANS, readImageHeader } from '../../../src/image/index.ts';
import { readJpegHeader, withoutComments } from '../../../src/image/jpeg-header.ts';
import { jpegDecodeBytes } from '../../../src/image/jpeg.ts';
import { concat } from '../../../scripts/lib/png-chunks.ts';
import { JPEG_LAYOUTS, largestJpegSide, ringJpeg } from '../../../scripts/lib/worst-images.ts';

// jpeg-js holds every coefficient block of a JPEG at once: its memory is known from the frame
// header, and a JPEG whose decoding would pass DECODE_MEMORY_BYTES is refused before any decoding.

const largestSide = largestJpegSide;

const refused = (status: number, code: string) => expect.objectContaining({ name: 'ImageError', status, code });

describe('JPEG decoding memory', () => {
  it('costs what jpeg-js allocates: blocks per MCU-padded component, lines, interleaved and RGB output', () => {
    // 4:2:0 at 100 x 60: MCUs of 16 x 16, 7 x 4 of them; Y has 14 x 8 blocks, Cb and Cr 7 x 4 each.
    const blocks = 14 * 8 + 2 * 7 * 4;
    // jpeg-js's lines: Y 13 x 8 blocks (ceil(100 / 8) by ceil(60 / 8)) of 8 x 8; Cb and Cr ceil(13 / 2) x ceil(8 / 2).
    const lineBytes = 64 * (104 + 320) + 2 * 32 * (56 + 320);
    expect(jpegDecodeBytes({ width: 100, height: 60, sampling: JPEG_LAYOUTS['4:2:0'] })).toBe(blocks * 640 + lineBytes + 100 * 60 * (3 + 3));
  });

  it.each(Object.keys(JPEG_LAYOUTS) as Array<keyof typeof JPEG_LAYOUTS>)('%s: the largest square within the budget decodes, 32 pixels more is refused (413)', (layout) => {
    const side = largestSide(layout);
    const fits = ringJpeg(side, side, layout);
    expect(imageToMnist(fits).pixels.some((v) => v > 0.9)).toBe(true);
    const over = ringJpeg(side + 32, side + 32, layout);
    expect(() => readImageHeader(over)).toThrow(refused(413, 'too_many_pixels'));
    expect(() => imageToMnist(over)).toThrow(/decoding it takes about \d+ MB, over the 50 MB allowed/);
  });

  it('holds at least a 1024 x 1024 photo of every layout but CMYK, and at least 1.25 megapixels of any', () => {
    expect(largestSide('4:4:4')).toBeGreaterThanOrEqual(1024);
    expect(largestSide('4:2:0')).toBeGreaterThanOrEqual(1440);
    expect(largestSide('gray')).toBeGreaterThanOrEqual(1792);
    expect(largestSide('CMYK')).toBeLessThan(1024);
  });

  it(`reads a progressive JPEG of ${MAX_JPEG_SCANS} scans or fewer as the baseline one of the same blocks`, () => {
    for (const layout of ['gray', '4:2:0', '4:4:4', 'CMYK'] as const) {
      const progressive = ringJpeg(256, 192, layout, MAX_JPEG_SCANS);
      const header = readImageHeader(progressive);
      expect(header.width).toBe(256);
      const a = decodeImage(progressive);
      const b = decodeImage(ringJpeg(256, 192, layout));
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
    }
  });

  it('strips long comments before jpeg-js reads them, and counts the copy in the budget', () => {
    const jpeg = ringJpeg(512, 512, '4:2:0');
    const comment = new Uint8Array(65537).fill(0x41);
    comment.set([0xff, 0xfe, 0xff, 0xff]); // COM, 65,535 bytes long
    const stuffed = concat(jpeg.subarray(0, 2), ...Array.from({ length: 150 }, () => comment), jpeg.subarray(2));
    expect(stuffed.length).toBeGreaterThan(9 << 20);
    expect(readJpegHeader(stuffed).commentBytes).toBe(150 * 65537);
    expect(Array.from(withoutComments(stuffed))).toEqual(Array.from(jpeg));
    expect(Array.from(decodeImage(stuffed).data)).toEqual(Array.from(decodeImage(jpeg).data));
    // The largest 4:2:0 square fits alone, not beside a copy of a file of comments and data.
    const side = largestSide('4:2:0');
    const big = ringJpeg(side, side, '4:2:0');
    const padding = new Uint8Array(9 << 20).fill(0); // entropy-coded bytes past the scan's end
    const bigStuffed = concat(big.subarray(0, 2), comment, comment, big.subarray(2, big.length - 2), padding, big.subarray(big.length - 2));
    expect(readImageHeader(big).width).toBe(side);
    expect(() => readImageHeader(bigStuffed)).toThrow(refused(413, 'too_many_pixels'));
  });
});
