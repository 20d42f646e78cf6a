import { describe, expect, it } from 'vitest';
import { decodeImage, ImageError, readImageHeader, toGray } from '../../../src/image/index.ts';
import { applyOrientation } from '../../../src/image/orientation.ts';
import { codecFixture, codecFixtures, difference, referenceGray } from './fixtures.ts';

// Every fixture was written by an independent encoder (ImageMagick, cjpeg) and decoded by an
// independent decoder (libpng through ImageMagick, djpeg) into its .ref.png: our decoding, composited
// over white and converted to gray, must match that reference.
const gray = (name: string) => {
  const raster = decodeImage(codecFixture(name));
  return applyOrientation(toGray(raster), raster.orientation ?? 1);
};

describe('PNG decoding matches libpng', () => {
  it.each(codecFixtures(/\.png$/))('%s', (name) => {
    const d = difference(gray(name), referenceGray(name.replace('.png', '.ref.png')));
    // 16-bit samples against an 8-bit reference differ by rounding only.
    expect(d.max).toBeLessThanOrEqual(1);
    if (!name.includes('16')) expect(d.max).toBe(0);
  });

  it('reads transparency from tRNS color keys (RGB and gray) as white paper', () => {
    for (const name of ['rgb8-trns.png', 'gray8-trns.png']) {
      const g = gray(name);
      expect(g.data[5 * 48 + 25]).toBe(1); // inside the keyed-out rectangle
    }
  });
});

describe('JPEG decoding matches libjpeg-turbo', () => {
  it.each(codecFixtures(/^(baseline|progressive|gray|restart|optimized).*\.jpg$/))('%s', (name) => {
    const d = difference(gray(name), referenceGray(name.replace('.jpg', '.ref.png')));
    // IDCT rounding and chroma upsampling differ between decoders; luma stays within a level on average.
    expect(d.mean).toBeLessThan(1);
    expect(d.max).toBeLessThan(12);
  });

  it('decodes a CMYK JPEG with an Adobe marker', () => {
    const d = difference(gray('cmyk.jpg'), referenceGray('upright.ref.png'));
    expect(d.mean).toBeLessThan(2);
  });

  it('refuses an arithmetic-coded JPEG with 415', () => {
    expect(() => decodeImage(codecFixture('arithmetic.jpg'))).toThrow(expect.objectContaining({ status: 415, code: 'unsupported_media_type' }));
  });

  it.each([2, 3, 4, 5, 6, 7, 8])('turns EXIF orientation %i upright', (o) => {
    const name = `orientation-${o}.jpg`;
    expect(readImageHeader(codecFixture(name)).orientation).toBe(o);
    const upright = referenceGray('upright.ref.png');
    expect(difference(gray(name), upright).mean).toBeLessThan(1);
    // The test can fail: the stored pixels, not turned, are far from upright.
    const stored = toGray(decodeImage(codecFixture(name)));
    expect(difference(stored, upright).mean).toBeGreaterThan(10);
  });
});

describe('the decoded raster', () => {
  it('keeps 16-bit samples and says so', () => {
    const r = decodeImage(codecFixture('rgba16.png'));
    expect(r).toMatchObject({ format: 'png', width: 48, height: 32, channels: 4, maxValue: 65535 });
    expect(r.data).toBeInstanceOf(Uint16Array);
  });

  it('gives typed arrays, never a Node Buffer, for JPEG', () => {
    const r = decodeImage(codecFixture('baseline-420.jpg'));
    expect(r.data.constructor).toBe(Uint8Array);
    expect(r).toMatchObject({ format: 'jpeg', channels: 3, width: 48, height: 32 });
  });

  it('needs no Node Buffer: decodes and preprocesses with Buffer removed, as in a Worker or a browser', () => {
    const saved = globalThis.Buffer;
    // @ts-expect-error: removing a Node global on purpose
    delete globalThis.Buffer;
    try {
      expect(typeof (globalThis as { Buffer?: unknown }).Buffer).toBe('undefined');
      for (const name of ['baseline-420.jpg', 'progressive.jpg', 'gray16.png', 'palette8.png', 'rgba8-interlaced.png']) {
        expect(decodeImage(codecFixture(name)).width).toBe(48);
      }
    } finally {
      globalThis.Buffer = saved;
    }
  });

  it('accepts an ArrayBuffer', () => {
    const bytes = codecFixture('gray8.png');
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(decodeImage(copy as ArrayBuffer).width).toBe(48);
  });

  it('throws ImageError, not TypeError, for something that is not bytes', () => {
    expect(() => decodeImage('a string' as unknown as Uint8Array)).toThrow(ImageError);
  });
});
