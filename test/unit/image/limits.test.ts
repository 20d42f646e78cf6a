import { Deflate, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  checkDimensions,
  decodeImage,
  ImageError,
  imageToMnist,
  MAX_IMAGE_BYTES,
  MAX_JPEG_SCANS,
  MAX_PIXELS,
  MAX_SIDE,
  readImageHeader,
} from '../../../src/image/index.ts';
import { codecFixture } from './fixtures.ts';
import { chunk, concat, ihdr, SIGNATURE } from './png-bytes.ts';

const refused = (status: number, code: string) => expect.objectContaining({ name: 'ImageError', status, code });
const IEND = chunk('IEND', new Uint8Array(0));
const tinyIdat = chunk('IDAT', zlibSync(new Uint8Array(9)));

/** A JPEG made of markers only: SOI, a frame header of the given size, `scans` empty scans, EOI. */
function jpegHeaderOnly(width: number, height: number, scans = 1): Uint8Array {
  const sof = [0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x00];
  return new Uint8Array([0xff, 0xd8, ...sof, ...Array.from({ length: scans }, () => sos).flat(), 0xff, 0xd9]);
}

describe('limits are enforced before decoding', () => {
  it('refuses a 100,000 x 100,000 PNG from its IHDR (413), with no pixel data to speak of', () => {
    const bomb = concat(SIGNATURE, ihdr(100_000, 100_000), tinyIdat, IEND);
    expect(bomb.length).toBeLessThan(100);
    expect(() => imageToMnist(bomb)).toThrow(refused(413, 'too_many_pixels'));
    expect(() => readImageHeader(bomb)).toThrow(refused(413, 'too_many_pixels'));
  });

  it('refuses a JPEG whose SOF says 65,535 x 65,535 (413)', () => {
    expect(() => imageToMnist(jpegHeaderOnly(65535, 65535))).toThrow(refused(413, 'too_many_pixels'));
  });

  it('refuses total pixels over MAX_PIXELS even when each side is within MAX_SIDE', () => {
    expect(MAX_SIDE * MAX_SIDE).toBeGreaterThan(MAX_PIXELS);
    expect(() => imageToMnist(concat(SIGNATURE, ihdr(MAX_SIDE, MAX_SIDE), tinyIdat, IEND))).toThrow(refused(413, 'too_many_pixels'));
    expect(() => checkDimensions(MAX_SIDE, MAX_PIXELS / MAX_SIDE)).not.toThrow();
    expect(() => checkDimensions(MAX_SIDE + 1, 8)).toThrow(refused(413, 'too_many_pixels'));
  });

  it('takes a stricter pixel limit from the caller, never a looser one', () => {
    const png = codecFixture('gray8.png'); // 48 x 32 = 1536 pixels
    expect(() => readImageHeader(png, { maxPixels: 1000 })).toThrow(refused(413, 'too_many_pixels'));
    expect(readImageHeader(png, { maxPixels: 2000 }).width).toBe(48);
    expect(() => checkDimensions(MAX_SIDE, MAX_SIDE, Infinity)).toThrow(refused(413, 'too_many_pixels'));
  });

  it('refuses more than MAX_IMAGE_BYTES (413) before looking inside', () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set(SIGNATURE);
    expect(() => imageToMnist(big)).toThrow(refused(413, 'too_many_bytes'));
  });

  it('refuses a zlib bomb: a 64 x 64 PNG whose data inflates to 64 MiB (400)', () => {
    // 1 MiB of zeros, deflated and sync-flushed, repeated 64 times: every copy only refers back
    // to zeros, so the repeats form one valid stream. The header promises 64 x 65 bytes.
    const parts: Uint8Array[] = [];
    const deflate = new Deflate({ level: 9 }, (c) => parts.push(c));
    deflate.push(new Uint8Array(1 << 20), false);
    deflate.flush(true);
    const megabyte = concat(...parts);
    const finalBlock = new Uint8Array([0x03, 0x00]); // BFINAL, fixed Huffman, end of block
    const z = concat(new Uint8Array([0x78, 0xda]), ...Array.from({ length: 64 }, () => megabyte), finalBlock);
    const bomb = concat(SIGNATURE, ihdr(64, 64), chunk('IDAT', z), IEND);
    expect(bomb.length).toBeLessThan(MAX_IMAGE_BYTES);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeImage(bomb)).toThrow(refused(400, 'corrupt_image'));
    // Refused after inflating a few MiB at most, not the 64 MiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    expect(() => decodeImage(bomb)).toThrow(/inflates to more than the 4160 bytes/);
  });

  it(`refuses a JPEG with more than ${MAX_JPEG_SCANS} scans (415), a CPU bomb`, () => {
    expect(() => readImageHeader(jpegHeaderOnly(64, 64, MAX_JPEG_SCANS + 1))).toThrow(refused(415, 'unsupported_media_type'));
  });

  it('refuses images under 8 pixels on a side (422)', () => {
    expect(() => imageToMnist(concat(SIGNATURE, ihdr(4, 100), tinyIdat, IEND))).toThrow(refused(422, 'image_too_small'));
  });
});

describe('format and content type', () => {
  const png = codecFixture('gray8.png');
  const jpeg = codecFixture('gray.jpg');

  it('sniffs the format from the magic bytes', () => {
    expect(readImageHeader(png)).toMatchObject({ format: 'png', width: 48, height: 32 });
    expect(readImageHeader(jpeg)).toMatchObject({ format: 'jpeg', width: 48, height: 32, orientation: 1 });
  });

  it.each([
    ['GIF', new TextEncoder().encode('GIF89a\x01\x00\x01\x00')],
    ['WebP', new TextEncoder().encode('RIFF\x10\x00\x00\x00WEBPVP8 ')],
    ['text', new TextEncoder().encode('{"pixels": [0, 0, 0]}')],
    ['BMP', new TextEncoder().encode('BM\x00\x00\x00\x00')],
  ])('refuses %s with 415 naming it', (name, bytes) => {
    expect(() => imageToMnist(bytes)).toThrow(refused(415, 'unsupported_media_type'));
    expect(() => imageToMnist(bytes)).toThrow(new RegExp(name === 'text' ? 'text' : name));
  });

  it('refuses an empty body with 400', () => {
    expect(() => imageToMnist(new Uint8Array(0))).toThrow(refused(400, 'empty_body'));
  });

  it('checks the declared content type against the bytes', () => {
    expect(() => readImageHeader(png, { contentType: 'image/jpeg' })).toThrow(refused(415, 'content_type_mismatch'));
    expect(() => readImageHeader(jpeg, { contentType: 'image/png' })).toThrow(refused(415, 'content_type_mismatch'));
    expect(() => readImageHeader(png, { contentType: 'image/gif' })).toThrow(refused(415, 'unsupported_media_type'));
    expect(() => readImageHeader(png, { contentType: 'text/plain' })).toThrow(refused(415, 'unsupported_media_type'));
    for (const ok of ['image/png', 'IMAGE/PNG; charset=binary', 'application/octet-stream', '', null, undefined]) {
      expect(readImageHeader(png, { contentType: ok }).format).toBe('png');
    }
    for (const ok of ['image/jpeg', 'image/jpg', 'image/pjpeg']) expect(readImageHeader(jpeg, { contentType: ok }).format).toBe('jpeg');
  });

  it('says truncated (400) for cut-off files, corrupt (400) for broken ones', () => {
    expect(() => imageToMnist(png.subarray(0, 40))).toThrow(refused(400, 'truncated_image'));
    expect(() => imageToMnist(jpeg.subarray(0, jpeg.length - 2))).toThrow(refused(400, 'truncated_image'));
    expect(() => imageToMnist(png.subarray(0, 5))).toThrow(refused(400, 'truncated_image'));
    const badCrc = png.slice();
    badCrc[60] ^= 0x10; // inside IDAT: the CRC no longer matches
    expect(() => imageToMnist(badCrc)).toThrow(refused(400, 'corrupt_image'));
  });

  it('carries status and code on every error', () => {
    const e = new ImageError('no_digit', 'blank');
    expect([e.status, e.code, e.message, e instanceof Error]).toEqual([422, 'no_digit', 'blank', true]);
  });
});
