import { ImageError } from './errors.ts';

/** What a PNG's chunk structure says before any pixel is inflated (PNG spec, section 11.2). */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  interlaced: boolean;
  /** Sum of the IDAT chunks' lengths: the compressed pixel data. */
  idatBytes: number;
  /** Exact length of the inflated, still filtered pixel data the header promises. */
  inflatedBytes: number;
  /** The PLTE chunk's data (r, g, b per entry), when there is one before the pixel data. */
  palette?: Uint8Array;
  /** The tRNS chunk's data: alpha per palette entry, or the one transparent gray or RGB color. */
  transparency?: Uint8Array;
}

/** Samples per pixel of each color type. */
export const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7's seven passes: [x start, y start, x step, y step]. */
export const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** The chunks decoding reads; every other chunk is ancillary and skipped unread (PNG spec, 5.4). */
const CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/**
 * Walks a PNG's chunks without inflating anything: reads IHDR, checks that every chunk fits in
 * the bytes, keeps PLTE and tRNS, sums the IDAT lengths and requires IEND (CRCs are checked when
 * decoding, png.ts). Ancillary chunks (color profiles, compressed text, anything unknown) are never looked
 * into, so none of their contents is inflated. Throws ImageError: 400 for a broken structure, 415
 * for a critical chunk this decoder does not know.
 *
 * @example
 * const { width, height } = readPngHeader(bytes);
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string) => new ImageError('corrupt_image', `PNG data is corrupt: ${why}`);
  let at = 8;
  let header: Omit<PngHeader, 'idatBytes' | 'inflatedBytes'> | undefined;
  let idatBytes = 0;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  for (;;) {
    if (at + 8 > bytes.length) {
      throw new ImageError('truncated_image', `PNG data is truncated: it ends at byte ${bytes.length} before the IEND chunk`);
    }
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw corrupt(`invalid chunk type at byte ${at + 4}`);
    if (length > 0x7fffffff) throw corrupt(`chunk ${type} claims ${length} bytes`);
    if (at + 12 + length > bytes.length) {
      throw new ImageError('truncated_image', `PNG data is truncated: chunk ${type} at byte ${at} needs ${length + 12} bytes, ${bytes.length - at} remain`);
    }
    const data = at + 8;
    if (header === undefined) {
      if (type !== 'IHDR' || length !== 13) throw corrupt('the first chunk is not a 13-byte IHDR');
      header = parseIhdr(view, data);
    } else if (type === 'IDAT') {
      idatBytes += length;
    } else if (type === 'IEND') {
      break;
    } else if (type === 'PLTE' || type === 'tRNS') {
      // Both describe the pixels, so they come before them (PNG spec, 5.6).
      if (idatBytes) throw corrupt(`chunk ${type} comes after the pixel data`);
      if (type === 'PLTE') {
        if (length === 0 || length % 3 || length > 768) throw corrupt(`the palette (PLTE) has ${length} bytes, not 3 to 768 in steps of 3`);
        palette = bytes.subarray(data, data + length);
      } else {
        transparency = bytes.subarray(data, data + length);
      }
    } else if (/^[A-Z]/.test(type) && !CRITICAL.has(type)) {
      // An unknown critical chunk changes how the pixels read (Apple's CgBI, for one).
      throw new ImageError('unsupported_media_type', `this PNG has a critical chunk ${type} that this decoder does not know; send a standard PNG or a JPEG`);
    }
    at += 12 + length;
  }
  if (idatBytes === 0) throw corrupt('no IDAT chunk (no pixel data)');
  if (header.colorType === 3 && !palette) throw corrupt('a palette image without a PLTE chunk');
  return {
    ...header,
    idatBytes,
    inflatedBytes: inflatedSize(header.width, header.height, SAMPLES[header.colorType] * header.bitDepth, header.interlaced),
    palette: header.colorType === 3 ? palette : undefined,
    transparency: usableTransparency(header.colorType, transparency, palette),
  };
}

/**
 * A tRNS chunk as decoders read it: one alpha per palette entry at most, or one gray or RGB key
 * (PNG spec, 11.3.2.1). One of another size, or in an image with an alpha channel, is ignored, as
 * libpng ignores it.
 */
function usableTransparency(colorType: number, trns: Uint8Array | undefined, palette: Uint8Array | undefined): Uint8Array | undefined {
  if (!trns) return undefined;
  if (colorType === 3) return trns.length <= palette!.length / 3 ? trns : undefined;
  if (colorType === 0) return trns.length === 2 ? trns : undefined;
  if (colorType === 2) return trns.length === 6 ? trns : undefined;
  return undefined;
}

function parseIhdr(view: DataView, at: number): Omit<PngHeader, 'idatBytes' | 'inflatedBytes'> {
  const width = view.getUint32(at);
  const height = view.getUint32(at + 4);
  const bitDepth = view.getUint8(at + 8);
  const colorType = view.getUint8(at + 9);
  const compression = view.getUint8(at + 10);
  const filter = view.getUint8(at + 11);
  const interlace = view.getUint8(at + 12);
  const bad = (why: string) => new ImageError('corrupt_image', `PNG data is corrupt: IHDR ${why}`);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw bad(`has an invalid size ${width} x ${height}`);
  if (!(colorType in DEPTHS)) throw bad(`has an unknown color type ${colorType}`);
  if (!DEPTHS[colorType].includes(bitDepth)) throw bad(`has bit depth ${bitDepth}, not allowed for color type ${colorType}`);
  if (compression !== 0 || filter !== 0) throw bad(`has unknown compression ${compression} or filter method ${filter}`);
  if (interlace > 1) throw bad(`has unknown interlace method ${interlace}`);
  return { width, height, bitDepth: bitDepth as PngHeader['bitDepth'], colorType: colorType as PngHeader['colorType'], interlaced: interlace === 1 };
}

/** Bytes of filtered scanlines: each row is one filter byte plus its packed samples (PNG spec, 7.2 and 8.2). */
function inflatedSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}
