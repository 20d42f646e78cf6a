import { ImageError } from './errors.ts';
import { toGray, type GrayImage } from './gray.ts';
import { checkJpegMemory, decodeJpeg } from './jpeg.ts';
import { readJpegHeader, type JpegHeader } from './jpeg-header.ts';
import { MAX_IMAGE_BYTES, MAX_PIXELS, MAX_SIDE, MIN_SIDE } from './limits.ts';
import type { Orientation } from './orientation.ts';
import { decodePng, decodePngToGray } from './png.ts';
import { readPngHeader, type PngHeader } from './png-header.ts';
import type { Raster } from './raster.ts';
import { checkContentType, sniffFormat, type ImageFormat } from './sniff.ts';

/** What the header says, read before any pixel is decoded. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  orientation: Orientation;
}

export interface DecodeOptions {
  /** The declared content type, checked against the bytes (415 on a mismatch). */
  contentType?: string | null;
  /** A stricter pixel limit than MAX_PIXELS (a Worker's, say). Larger values are ignored. */
  maxPixels?: number;
}

/**
 * Refuses sizes outside the limits: 413 over MAX_SIDE or MAX_PIXELS (or a stricter `maxPixels`),
 * 422 under MIN_SIDE.
 *
 * @example
 * checkDimensions(100_000, 100_000); // throws ImageError 413 too_many_pixels
 */
export function checkDimensions(width: number, height: number, maxPixels = MAX_PIXELS): void {
  const limit = Math.min(maxPixels, MAX_PIXELS);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > limit) {
    throw new ImageError(
      'too_many_pixels',
      `the image is ${width} x ${height} pixels; the limits are ${MAX_SIDE} pixels on a side and ${limit.toLocaleString('en-US')} pixels in all`,
    );
  }
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new ImageError('image_too_small', `the image is ${width} x ${height} pixels; a digit needs at least ${MIN_SIDE} x ${MIN_SIDE}`);
  }
}

/**
 * Sniffs the format, checks the byte count, the declared content type, the structure, the
 * dimensions and, for a JPEG, the memory its decoding takes (checkJpegMemory), all before decoding pixels.
 *
 * @example
 * const { format, width, height } = readImageHeader(bytes, { contentType: 'image/png' });
 */
export function readImageHeader(input: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): ImageHeader {
  const { format, png, jpeg } = inspect(asBytes(input), options);
  const h = png ?? jpeg!;
  return { format, width: h.width, height: h.height, orientation: jpeg?.orientation ?? 1 };
}

/**
 * Decodes a PNG or JPEG into interleaved pixels, enforcing every limit before the work. Throws
 * only ImageError for bad input (400, 413, 415, 422). The pixels are held at full size (a
 * 4-megapixel 16-bit RGBA PNG takes 32 MiB): decodeImageToGray holds far less.
 *
 * @example
 * const raster = decodeImage(new Uint8Array(await request.arrayBuffer()), { contentType: request.headers.get('content-type') });
 */
export function decodeImage(input: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): Raster & { format: ImageFormat } {
  const bytes = asBytes(input);
  const { format, png, jpeg } = inspect(bytes, options);
  return { format, ...(png ? decodePng(bytes, png) : decodeJpeg(bytes, jpeg!)) };
}

/** An image decoded straight to gray at a reduced size, with what its header said. */
export interface DecodedGray extends ImageHeader {
  /** toGray(pixels, maxSide): luminance over white, reduced by a whole factor to at most maxSide a side. */
  gray: GrayImage;
}

/**
 * Decodes a PNG or JPEG to gray, reduced to at most `maxSide` pixels a side, as
 * toGray(decodeImage(...), maxSide) but within DECODE_MEMORY_BYTES: a PNG is folded into the
 * reduced image row by row, a JPEG's full-size pixels are let go as soon as they are reduced.
 *
 * @example
 * const { gray, orientation } = decodeImageToGray(bytes, 1024, { contentType: 'image/png' });
 */
export function decodeImageToGray(input: Uint8Array | ArrayBuffer, maxSide: number, options: DecodeOptions = {}): DecodedGray {
  const bytes = asBytes(input);
  const { format, png, jpeg } = inspect(bytes, options);
  if (png) return { format, width: png.width, height: png.height, orientation: 1, gray: decodePngToGray(bytes, png, maxSide) };
  const h = jpeg!;
  return { format, width: h.width, height: h.height, orientation: h.orientation, gray: toGray(decodeJpeg(bytes, h), maxSide) };
}

function inspect(bytes: Uint8Array, options: DecodeOptions): { format: ImageFormat; png?: PngHeader; jpeg?: JpegHeader } {
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new ImageError('too_many_bytes', `the image is ${bytes.length.toLocaleString('en-US')} bytes; the limit is ${MAX_IMAGE_BYTES.toLocaleString('en-US')}`);
  }
  const format = sniffFormat(bytes);
  checkContentType(options.contentType, format);
  const check = (width: number, height: number) => checkDimensions(width, height, options.maxPixels);
  if (format === 'png') {
    const png = readPngHeader(bytes);
    check(png.width, png.height);
    return { format, png };
  }
  const jpeg = readJpegHeader(bytes, check);
  checkJpegMemory(jpeg, bytes.length);
  return { format, jpeg };
}

function asBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new ImageError('unsupported_media_type', 'the image must be given as bytes (Uint8Array or ArrayBuffer)');
}
