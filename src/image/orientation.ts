import type { GrayImage } from './gray.ts';

/** EXIF orientation (TIFF tag 0x0112): how the stored pixels must be turned to be seen upright. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * Reads the orientation tag from an APP1 segment's payload ("Exif\0\0" + a TIFF header + IFD0).
 * Returns undefined when the segment is not EXIF or holds no valid orientation; never throws:
 * a broken EXIF block should not cost the user their picture.
 *
 * @example
 * exifOrientation(app1Payload); // 6 for a phone held upright (rotate 90 degrees clockwise)
 */
export function exifOrientation(seg: Uint8Array): Orientation | undefined {
  if (seg.length < 14 || String.fromCharCode(...seg.subarray(0, 6)) !== 'Exif\0\0') return undefined;
  const tiff = seg.subarray(6);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49; // "II" Intel, else "MM" Motorola
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (view.getUint16(2, little) !== 42) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + 12 * i;
    if (e + 12 > tiff.length) return undefined;
    if (view.getUint16(e, little) !== 0x0112) continue;
    if (view.getUint16(e + 2, little) !== 3) return undefined; // type SHORT
    const value = view.getUint16(e + 8, little);
    return value >= 1 && value <= 8 ? (value as Orientation) : undefined;
  }
  return undefined;
}

/**
 * Turns a stored image upright according to its EXIF orientation.
 *
 * @example
 * const upright = applyOrientation(gray, 6); // width and height swap
 */
export function applyOrientation(img: GrayImage, orientation: Orientation): GrayImage {
  if (orientation === 1) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Float32Array(ow * oh);
  // For each displayed pixel (u, v), the stored pixel (x, y) it shows.
  const source: Record<Orientation, (u: number, v: number) => number> = {
    1: (u, v) => v * w + u,
    2: (u, v) => v * w + (w - 1 - u),
    3: (u, v) => (h - 1 - v) * w + (w - 1 - u),
    4: (u, v) => (h - 1 - v) * w + u,
    5: (u, v) => u * w + v,
    6: (u, v) => (h - 1 - u) * w + v,
    7: (u, v) => (h - 1 - u) * w + (w - 1 - v),
    8: (u, v) => u * w + (w - 1 - v),
  };
  const at = source[orientation];
  for (let v = 0; v < oh; v++) for (let u = 0; u < ow; u++) out[v * ow + u] = data[at(u, v)];
  return { width: ow, height: oh, data: out };
}
