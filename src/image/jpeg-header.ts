import { ImageError } from './errors.ts';
import { MAX_JPEG_SCANS } from './limits.ts';
import { exifOrientation, type Orientation } from './orientation.ts';

/** What a JPEG's marker segments say before any coefficient is decoded (ITU T.81, annex B). */
export interface JpegHeader {
  width: number;
  height: number;
  /** 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK (Adobe). */
  components: number;
  /** Each component's horizontal and vertical sampling factors, 1 to 4 (2 x 2, 1 x 1, 1 x 1 is 4:2:0). */
  sampling: Array<[number, number]>;
  progressive: boolean;
  /** Number of SOS segments. */
  scans: number;
  /** EXIF orientation (1 when absent). */
  orientation: Orientation;
  /** Bytes of comment (COM) segments, markers included. */
  commentBytes: number;
}

/**
 * Walks a JPEG's markers from SOI to EOI: reads the frame header (SOF), the EXIF orientation
 * (APP1), counts scans and skips their entropy-coded data. Refuses, before decoding, what the
 * decoder cannot do (415: arithmetic coding, lossless, 12-bit, hierarchical) and what is broken
 * or cut short (400). `checkSize` is called as soon as SOF is read, so limits apply early.
 *
 * @example
 * const { width, height, orientation } = readJpegHeader(bytes, checkDimensions);
 */
export function readJpegHeader(bytes: Uint8Array, checkSize: (width: number, height: number) => void = () => {}): JpegHeader {
  const corrupt = (why: string) => new ImageError('corrupt_image', `JPEG data is corrupt: ${why}`);
  const unsupported = (why: string) => new ImageError('unsupported_media_type', `this JPEG is ${why}, which is not supported; send a baseline or progressive 8-bit JPEG, or a PNG`);
  let frame: Omit<JpegHeader, 'scans' | 'orientation' | 'commentBytes'> | undefined;
  let orientation: Orientation = 1;
  let adobe = false;
  let scans = 0;
  let commentBytes = 0;
  walkSegments(bytes, ({ marker, start, data, end }) => {
    const seg = bytes.subarray(data, marker === 0xda ? data : end);
    if (isSof(marker)) {
      if (frame) throw unsupported('a multi-frame (hierarchical) JPEG');
      if (marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf) throw unsupported('a lossless JPEG');
      if (marker >= 0xc9) throw unsupported('an arithmetic-coded JPEG');
      if (marker >= 0xc5) throw unsupported('a hierarchical JPEG');
      if (seg.length < 6) throw corrupt('the frame header (SOF) is too short');
      const precision = seg[0];
      const height = (seg[1] << 8) | seg[2];
      const width = (seg[3] << 8) | seg[4];
      const components = seg[5];
      if (seg.length < 6 + 3 * components) throw corrupt('the frame header (SOF) is too short for its components');
      if (precision !== 8) throw unsupported(`a ${precision}-bit JPEG`);
      if (width === 0) throw corrupt('the frame header (SOF) says the width is 0');
      if (height === 0) throw unsupported('a JPEG whose height comes after the first scan (DNL)');
      checkSize(width, height);
      if (components !== 1 && components !== 3 && components !== 4) throw unsupported(`a JPEG with ${components} color components`);
      const sampling: Array<[number, number]> = [];
      for (let c = 0; c < components; c++) {
        const h = seg[7 + 3 * c] >> 4;
        const v = seg[7 + 3 * c] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt(`component ${c} has sampling factors ${h}x${v} (1 to 4 allowed)`);
        sampling.push([h, v]);
      }
      frame = { width, height, components, sampling, progressive: marker === 0xc2 };
    } else if (marker === 0xe1) {
      orientation = exifOrientation(seg) ?? orientation;
    } else if (marker === 0xee) {
      adobe ||= seg.length >= 5 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe';
    } else if (marker === 0xfe) {
      commentBytes += end - start;
    } else if (marker === 0xda) {
      if (!frame) throw corrupt('a scan (SOS) comes before the frame header (SOF)');
      if (++scans > MAX_JPEG_SCANS) throw unsupported(`a JPEG with more than ${MAX_JPEG_SCANS} scans`);
    }
  });
  if (!frame) throw corrupt('there is no frame header (SOF)');
  if (scans === 0) throw corrupt('there is no scan (SOS), so no pixel data');
  if (frame.components === 4 && !adobe) throw unsupported('a 4-component (CMYK) JPEG without an Adobe marker');
  return { ...frame, scans, orientation, commentBytes };
}

/**
 * The JPEG without its comment (COM) segments, which jpeg-js turns into strings one character at a
 * time (10 MiB of comments took it 2 s and 50 MiB). Everything else is copied as it is.
 *
 * @example
 * const bare = withoutComments(bytes); // bytes.length - readJpegHeader(bytes).commentBytes long
 */
export function withoutComments(bytes: Uint8Array): Uint8Array {
  const kept: Array<[number, number]> = [[0, 2]]; // SOI
  let length = 2;
  walkSegments(bytes, ({ marker, start, end }) => {
    if (marker === 0xfe) return;
    const last = kept[kept.length - 1];
    if (last[1] === start) last[1] = end; // runs of kept segments are copied at once
    else kept.push([start, end]);
    length += end - start;
  });
  const out = new Uint8Array(length);
  let at = 0;
  for (const [from, to] of kept) {
    out.set(bytes.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

/** A marker segment: `start` at its first 0xFF (fill bytes included), its payload from `data`; a scan's `end` is past its entropy-coded data. */
interface Segment {
  marker: number;
  start: number;
  data: number;
  end: number;
}

/** Visits every marker segment from after SOI to EOI (included), in order; throws 400 for a broken or cut-off structure. */
function walkSegments(bytes: Uint8Array, visit: (s: Segment) => void): void {
  const n = bytes.length;
  const truncated = () => new ImageError('truncated_image', `JPEG data is truncated: it ends at byte ${n} before the EOI marker`);
  const corrupt = (why: string) => new ImageError('corrupt_image', `JPEG data is corrupt: ${why}`);
  let at = 2;
  for (;;) {
    if (at >= n) throw truncated();
    if (bytes[at] !== 0xff) throw corrupt(`expected a marker at byte ${at}, found 0x${bytes[at].toString(16)}`);
    const start = at;
    while (at < n && bytes[at] === 0xff) at++; // fill bytes (B.1.1.2)
    if (at >= n) throw truncated();
    const marker = bytes[at++];
    if (marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      // EOI, RSTn, TEM: no length
      visit({ marker, start, data: at, end: at });
      if (marker === 0xd9) return;
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) throw corrupt(`unexpected marker 0xff${marker.toString(16).padStart(2, '0')} at byte ${at - 2}`);
    if (at + 2 > n) throw truncated();
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2) throw corrupt(`segment 0xff${marker.toString(16)} at byte ${at - 2} has length ${length}`);
    if (at + length > n) throw truncated();
    const data = at + 2;
    at += length;
    if (marker === 0xda) at = skipEntropyCodedData(bytes, at);
    visit({ marker, start, data, end: at });
  }
}

/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Returns the offset of the marker that ends a scan: an FF not followed by 00 (stuffing) or an RSTn. */
function skipEntropyCodedData(bytes: Uint8Array, at: number): number {
  const n = bytes.length;
  for (let i = bytes.indexOf(0xff, at); i !== -1 && i + 1 < n; i = bytes.indexOf(0xff, i + 1)) {
    const next = bytes[i + 1];
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
    return i;
  }
  return n;
}
