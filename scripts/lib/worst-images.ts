/**
 * The costliest images the Worker must take, and the bombs it must answer cheaply: PNGs of every
 * colour type and bit depth at the largest size allowed (interlaced too), JPEGs of every layout
 * (gray, 4:2:0, 4:4:4, CMYK; baseline and progressive with the most scans allowed), and small
 * PNGs whose colour profile or compressed text inflates to hundreds of MiB. Each holds a digit (a
 * ring, a "0") so that an image within the limits is decoded and preprocessed in full. Web-standard
 * APIs only: scripts/soak.ts measures the Worker's memory with them, test/worker sends them.
 */
import { jpegDecodeBytes } from '../../src/image/jpeg.ts';
import { DECODE_MEMORY_BYTES } from '../../src/image/limits.ts';
import { writeJpeg, type AcScan } from './jpeg-writer.ts';
import { compressedChunk, concat, rawPng, type RawPngSpec } from './png-chunks.ts';

export interface TestImage {
  label: string;
  contentType: 'image/png' | 'image/jpeg';
  bytes: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
  /** The statuses /v1/predict may answer it with. */
  expect: readonly number[];
}

/** Ink (0) where a ring of the given size passes, paper (1) elsewhere: a "0". */
export function ring(width: number, height: number): (x: number, y: number) => number {
  const side = Math.min(width, height);
  return (x, y) => {
    const r = Math.hypot(x - width / 2, y - height / 2) / side;
    return r > 0.25 && r < 0.36 ? 0 : 1;
  };
}

const PNG_LAYOUTS: Array<{ name: string; colorType: RawPngSpec['colorType']; depth: RawPngSpec['depth'] }> = [
  { name: 'gray 1-bit', colorType: 0, depth: 1 },
  { name: 'gray 2-bit', colorType: 0, depth: 2 },
  { name: 'gray 4-bit', colorType: 0, depth: 4 },
  { name: 'gray 8-bit', colorType: 0, depth: 8 },
  { name: 'gray 16-bit', colorType: 0, depth: 16 },
  { name: 'RGB 8-bit', colorType: 2, depth: 8 },
  { name: 'RGB 16-bit', colorType: 2, depth: 16 },
  { name: 'palette 1-bit', colorType: 3, depth: 1 },
  { name: 'palette 8-bit', colorType: 3, depth: 8 },
  { name: 'gray+alpha 8-bit', colorType: 4, depth: 8 },
  { name: 'gray+alpha 16-bit', colorType: 4, depth: 16 },
  { name: 'RGBA 8-bit', colorType: 6, depth: 8 },
  { name: 'RGBA 16-bit', colorType: 6, depth: 16 },
];

/**
 * A ring PNG of one layout: opaque ink on paper, or (with alpha) ink on a transparent ground, as a
 * canvas gives it.
 *
 * @example
 * const png = ringPng(2048, 2048, 6, 16); // 2048 x 2048 RGBA, 16 bits a sample
 */
export function ringPng(width: number, height: number, colorType: RawPngSpec['colorType'], depth: RawPngSpec['depth'], options: { interlaced?: boolean; extra?: Uint8Array[] } = {}): Uint8Array<ArrayBuffer> {
  const paper = ring(width, height);
  const max = (1 << depth) - 1;
  const alpha = colorType === 4 || colorType === 6;
  const sample = (x: number, y: number, c: number): number => {
    const isPaper = paper(x, y);
    if (colorType === 3) return isPaper;
    if (alpha && c === (colorType === 4 ? 1 : 3)) return isPaper ? 0 : max;
    return alpha ? 0 : isPaper * max;
  };
  const palette: Array<[number, number, number]> | undefined = colorType === 3 ? [[0, 0, 0], [255, 255, 255]] : undefined;
  return rawPng({ width, height, colorType, depth, sample, palette, interlaced: options.interlaced, extra: options.extra });
}

/**
 * The PNGs of every colour type and bit depth at `width` x `height`, one interlaced, and the same
 * pixel count as a strip `maxSide` wide.
 */
export function largestPngs(width: number, height: number, maxSide: number): TestImage[] {
  const images = PNG_LAYOUTS.map(({ name, colorType, depth }) => png(`${width} x ${height} ${name} PNG`, width, height, ringPng(width, height, colorType, depth)));
  images.push(png(`${width} x ${height} RGBA 16-bit PNG, interlaced`, width, height, ringPng(width, height, 6, 16, { interlaced: true })));
  const stripHeight = Math.floor((width * height) / maxSide);
  images.push(png(`${maxSide} x ${stripHeight} RGBA 16-bit PNG`, maxSide, stripHeight, ringPng(maxSide, stripHeight, 6, 16)));
  return images;
}

/** JPEG layouts by their sampling factors. */
export const JPEG_LAYOUTS: Record<string, Array<[number, number]>> = {
  gray: [[1, 1]],
  '4:2:0': [[2, 2], [1, 1], [1, 1]],
  '4:4:4': [[1, 1], [1, 1], [1, 1]],
  CMYK: [[1, 1], [1, 1], [1, 1], [1, 1]],
};

/** The largest square JPEG of a layout whose decoding fits DECODE_MEMORY_BYTES, in steps of 32 pixels (a whole number of MCUs). */
export function largestJpegSide(layout: keyof typeof JPEG_LAYOUTS): number {
  let side = 32;
  while (jpegDecodeBytes({ width: side + 32, height: side + 32, sampling: JPEG_LAYOUTS[layout] }) <= DECODE_MEMORY_BYTES) side += 32;
  return side;
}

/**
 * The scans that cost a progressive decoder the most within `maxScans`: the DC coefficients bit by
 * bit (14 scans), then, for each component, two spectral bands each refined bit by bit from bit 13.
 * Every scan walks every block of its component.
 */
export function costliestScans(components: number, maxScans: number): { dcAl: number; ac: AcScan[] } {
  const ac: AcScan[] = [];
  const dcAl = 13;
  const perComponent = Math.floor((maxScans - (dcAl + 1)) / components);
  const perBand = Math.max(1, Math.floor(perComponent / 2));
  for (const [Ss, Se] of [[1, 9], [10, 63]]) {
    const top = Math.min(13, perBand - 1);
    ac.push({ Ss, Se, Ah: 0, Al: top });
    for (let b = top - 1; b >= 0; b--) ac.push({ Ss, Se, Ah: b + 1, Al: b });
  }
  return { dcAl, ac };
}

/** A ring JPEG of one layout, baseline or progressive with the costliest scans up to `maxScans`. */
export function ringJpeg(width: number, height: number, layout: keyof typeof JPEG_LAYOUTS, progressiveScans = 0): Uint8Array<ArrayBuffer> {
  const sampling = JPEG_LAYOUTS[layout];
  const paper = ring(width, height);
  // YCbCr: the ring in luma, neutral chroma; CMYK (inverted, as Adobe writes it): the ring in black.
  const level = (x: number, y: number, c: number) =>
    sampling.length === 4 ? (c === 3 ? 255 * paper(x, y) : 255) : c === 0 ? 20 + 215 * paper(x, y) : 128;
  const progressive = progressiveScans ? costliestScans(sampling.length, progressiveScans) : undefined;
  return writeJpeg({ width, height, sampling, level, progressive });
}

/** A 64 x 64 ring PNG carrying one ancillary chunk of zlib data that inflates to `mib` MiB. */
export function ancillaryBomb(type: 'iCCP' | 'zTXt' | 'iTXt', mib: number): TestImage {
  return png(`64 x 64 PNG with a ${type} chunk inflating to ${mib} MiB`, 64, 64, ringPng(64, 64, 0, 8, { extra: [compressedChunk(type, mib)] }));
}

function png(label: string, width: number, height: number, bytes: Uint8Array<ArrayBuffer>, expect: readonly number[] = [200]): TestImage {
  return { label, contentType: 'image/png', bytes, width, height, expect };
}

function jpeg(label: string, side: number, bytes: Uint8Array<ArrayBuffer>, expect: readonly number[] = [200]): TestImage {
  return { label, contentType: 'image/jpeg', bytes, width: side, height: side, expect };
}

/**
 * What the Worker's memory is measured on (scripts/soak.ts): every image above, at the largest
 * size the limits allow (`maxPixels`, `maxSide`, `maxBytes`): the PNGs of every layout; the JPEGs
 * of every layout at the edge of the decoding memory, baseline and progressive, and just over it
 * (refused); a PNG of noise and a JPEG of comments as large as a body may be; the ancillary bombs.
 */
export function worstImages(limits: { maxPixels: number; maxSide: number; maxBytes: number; maxScans: number }): TestImage[] {
  const side = Math.floor(Math.sqrt(limits.maxPixels));
  const images = largestPngs(side, side, limits.maxSide);
  for (const layout of Object.keys(JPEG_LAYOUTS) as Array<keyof typeof JPEG_LAYOUTS>) {
    const fits = largestJpegSide(layout);
    images.push(jpeg(`${fits} x ${fits} ${layout} JPEG`, fits, ringJpeg(fits, fits, layout)));
    images.push(jpeg(`${fits} x ${fits} ${layout} JPEG, progressive in ${limits.maxScans} scans or fewer`, fits, ringJpeg(fits, fits, layout, limits.maxScans)));
    images.push(jpeg(`${fits + 32} x ${fits + 32} ${layout} JPEG (over the decoding memory)`, fits + 32, ringJpeg(fits + 32, fits + 32, layout), [413]));
  }
  images.push(noisePng(limits.maxBytes));
  images.push(commentedJpeg(limits.maxBytes));
  for (const type of ['iCCP', 'zTXt', 'iTXt'] as const) images.push(ancillaryBomb(type, 1024));
  return images;
}

/** An RGB PNG of noise (it does not compress) just under `maxBytes`: the most pixel data a body can carry. */
function noisePng(maxBytes: number): TestImage {
  const side = Math.floor(Math.sqrt(maxBytes / 3.05));
  let state = 0x2545f491;
  const bytes = rawPng({ width: side, height: side, colorType: 2, depth: 8, sample: () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24) });
  return png(`${side} x ${side} RGB PNG of noise, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`, side, side, bytes, [200, 422]);
}

/** A 1024 x 1024 gray JPEG behind comment segments up to `maxBytes`. */
function commentedJpeg(maxBytes: number): TestImage {
  const image = ringJpeg(1024, 1024, 'gray');
  const comment = new Uint8Array(65537).fill(0x41);
  comment.set([0xff, 0xfe, 0xff, 0xff]);
  const n = Math.floor((maxBytes - image.length) / comment.length);
  return jpeg(`1024 x 1024 gray JPEG behind ${n} comments, ${((image.length + n * comment.length) / 2 ** 20).toFixed(1)} MiB`, 1024, concat(image.subarray(0, 2), ...Array.from({ length: n }, () => comment), image.subarray(2)));
}
