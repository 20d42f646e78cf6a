import { ImageError } from './errors.ts';

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Formats people send that we can name in the 415 message (WHATWG MIME Sniffing, section 6.1). */
const OTHER_FORMATS: Array<{ name: string; match: (b: Uint8Array) => boolean }> = [
  { name: 'GIF', match: (b) => ascii(b, 0, 4) === 'GIF8' },
  { name: 'WebP', match: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP' },
  { name: 'BMP', match: (b) => ascii(b, 0, 2) === 'BM' },
  { name: 'TIFF', match: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
  { name: 'HEIC/AVIF', match: (b) => ascii(b, 4, 4) === 'ftyp' },
  { name: 'ICO', match: (b) => b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0 },
  { name: 'PDF', match: (b) => ascii(b, 0, 5) === '%PDF-' },
  { name: 'SVG or other text', match: (b) => b.length > 0 && b.subarray(0, 64).every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) },
];

/** Content types that name each format; `image/pjpeg` and `image/jpg` are what old browsers and some tools send. */
const DECLARED: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/apng': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
};

/** Content types that say nothing about the format: the bytes decide. */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'image/*']);

/**
 * The image format from its magic bytes: PNG's 8-byte signature or JPEG's SOI marker followed by
 * another marker (FF D8 FF). Anything else is a 415 that names what it looks like.
 *
 * @example
 * sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // 'jpeg'
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageError('empty_body', 'the image is empty (0 bytes)');
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (PNG_SIGNATURE.slice(0, bytes.length).every((b, i) => bytes[i] === b)) {
    throw new ImageError('truncated_image', `PNG data is truncated: ${bytes.length} bytes, shorter than the 8-byte signature`);
  }
  const other = OTHER_FORMATS.find((f) => f.match(bytes));
  const looks = other ? `it looks like ${other.name}` : `it starts with ${hex(bytes.subarray(0, 8))}`;
  throw new ImageError('unsupported_media_type', `not a PNG or JPEG image (${looks}); send PNG or JPEG`);
}

/**
 * Checks a declared content type (an HTTP `Content-Type` or a multipart part's type) against the
 * sniffed format. Missing, `application/octet-stream` and `image/*` defer to the bytes.
 *
 * @example
 * checkContentType('image/png; charset=binary', 'png'); // ok
 * checkContentType('image/png', 'jpeg'); // throws ImageError 415 content_type_mismatch
 */
export function checkContentType(contentType: string | null | undefined, sniffed: ImageFormat): void {
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (UNDECLARED.has(essence)) return;
  const declared = DECLARED[essence];
  if (declared === undefined) {
    throw new ImageError('unsupported_media_type', `content type "${essence}" is not supported; send image/png or image/jpeg`);
  }
  if (declared !== sniffed) {
    throw new ImageError('content_type_mismatch', `content type says ${declared.toUpperCase()} (${essence}) but the bytes are ${sniffed.toUpperCase()}`);
  }
}

function ascii(b: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (c) => c.toString(16).padStart(2, '0')).join(' ');
}
