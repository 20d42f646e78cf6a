import { gaussian, jpegRgba, pngGray, type Plane } from '../digit-synth.ts';

/**
 * How a digit written on paper reaches the service: a scan (grey PNG), a scan saved as JPEG, a
 * phone photo (uneven light, a shadow from one side, defocus, sensor noise, a paper and ink colour,
 * JPEG), or light chalk on a dark board. Input: the ink's coverage (1 = full ink).
 */
export type PaperStyle = 'scan' | 'scan-jpeg' | 'photo' | 'inverted';

export interface Captured {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
}

const between = (random: () => number, lo: number, hi: number) => lo + random() * (hi - lo);

export function capture(ink: Plane, style: PaperStyle, random: () => number): Captured {
  const { width: w, height: h } = ink;
  if (style === 'scan') return { bytes: pngGray(w, h, grey(ink, between(random, 0.88, 1), between(random, 0.05, 0.4), 0, random)), contentType: 'image/png' };
  if (style === 'inverted') return { bytes: pngGray(w, h, grey(ink, between(random, 0.02, 0.2), between(random, 0.75, 1), 0, random)), contentType: 'image/png' };
  if (style === 'scan-jpeg') {
    const g = grey(blurPlane(ink, between(random, 0, 0.8)), between(random, 0.85, 1), between(random, 0.05, 0.35), between(random, 0, 0.02), random);
    return { bytes: jpegRgba(w, h, rgbaOf(g, [1, 1, 1]), Math.round(between(random, 25, 85))), contentType: 'image/jpeg' };
  }
  return { bytes: photo(ink, random), contentType: 'image/jpeg' };
}

/** Paper level, ink level, noise: 8-bit grey, dark ink on light paper (or the reverse). */
function grey(ink: Plane, paper: number, inkLevel: number, noise: number, random: () => number): Uint8Array {
  return Uint8Array.from(ink.data, (v) => clamp255(paper + (inkLevel - paper) * v + noise * gaussian(random)));
}

function photo(ink: Plane, random: () => number): Uint8Array {
  const { width: w, height: h } = ink;
  const soft = blurPlane(ink, between(random, 0.3, 1.4));
  const angle = random() * 2 * Math.PI;
  const [gx, gy] = [Math.cos(angle), Math.sin(angle)];
  const gradient = between(random, 0.05, 0.4);
  const paper = between(random, 0.6, 0.92);
  const inkLevel = between(random, 0.08, 0.35);
  const noise = between(random, 0.01, 0.05);
  const vignette = between(random, 0, 0.3);
  // A shadow (a hand, the phone) falling across one side, soft-edged.
  const shadow = random() < 0.5 ? { side: Math.floor(random() * 4), reach: between(random, 0.1, 0.45), depth: between(random, 0.2, 0.55) } : null;
  // Paper a little warm or cool; ink black, blue or graphite.
  const tint: [number, number, number] = [1, between(random, 0.96, 1), between(random, 0.86, 1)];
  const inkTint: [number, number, number] = random() < 0.3 ? [0.55, 0.6, 1.25] : [1, 1, 1];
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w - 0.5;
      const v = y / h - 0.5;
      let light = paper + gradient * (u * gx + v * gy) - vignette * (u * u + v * v);
      if (shadow) {
        const d = [x / w, 1 - x / w, y / h, 1 - y / h][shadow.side];
        light *= 1 - shadow.depth * Math.max(0, 1 - d / shadow.reach) ** 2;
      }
      const i = y * w + x;
      const c = soft.data[i];
      for (let k = 0; k < 3; k++) {
        const value = light * tint[k] * (1 - c) + Math.min(1, inkLevel * light * inkTint[k]) * c + noise * gaussian(random);
        rgba[i * 4 + k] = clamp255(value);
      }
      rgba[i * 4 + 3] = 255;
    }
  }
  return jpegRgba(w, h, rgba, Math.round(between(random, 35, 90)));
}

/** A 3x3-tap Gaussian-ish blur of strength s (0: none, 1: [1 2 1]/4 each way); cheap defocus. */
function blurPlane(p: Plane, s: number): Plane {
  if (s <= 0) return p;
  const { width: w, height: h } = p;
  const k = [s / 4, 1 - s / 2, s / 4];
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tmp[y * w + x] = k[0] * p.data[y * w + Math.max(0, x - 1)] + k[1] * p.data[y * w + x] + k[2] * p.data[y * w + Math.min(w - 1, x + 1)];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = k[0] * tmp[Math.max(0, y - 1) * w + x] + k[1] * tmp[y * w + x] + k[2] * tmp[Math.min(h - 1, y + 1) * w + x];
  return { width: w, height: h, data: out };
}

function rgbaOf(g: Uint8Array, tint: [number, number, number]): Uint8Array {
  const out = new Uint8Array(g.length * 4);
  for (let i = 0; i < g.length; i++) out.set([g[i] * tint[0], g[i] * tint[1], g[i] * tint[2], 255], i * 4);
  return out;
}

function clamp255(v: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, v)));
}
