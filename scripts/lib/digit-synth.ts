/**
 * Test images made from scratch: MNIST digits enlarged onto canvases, strokes drawn with
 * anti-aliasing, paper with lighting, noise and shadows. Deterministic given the seed.
 */
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';

/** mulberry32: a small seeded generator, so every test image is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A single-channel float image, values in [0, 1]. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

export function plane(width: number, height: number, fill = 0): Plane {
  return { width, height, data: new Float32Array(width * height).fill(fill) };
}

/** Bilinear enlargement of a 28 x 28 (or any) plane by `factor` (pixel centres aligned). */
export function enlarge(src: Plane, factor: number): Plane {
  const w = Math.round(src.width * factor);
  const h = Math.round(src.height * factor);
  const out = plane(w, h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) / factor - 0.5, 0), src.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max((x + 0.5) / factor - 0.5, 0), src.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const fx = sx - x0;
      const top = src.data[y0 * src.width + x0] * (1 - fx) + src.data[y0 * src.width + x1] * fx;
      const bottom = src.data[y1 * src.width + x0] * (1 - fx) + src.data[y1 * src.width + x1] * fx;
      out.data[y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Copies `src` into a new canvas of the given size at (x, y); the rest is `fill`. */
export function place(src: Plane, width: number, height: number, x: number, y: number, fill = 0): Plane {
  const out = plane(width, height, fill);
  for (let j = 0; j < src.height; j++) {
    for (let i = 0; i < src.width; i++) {
      const tx = x + i;
      const ty = y + j;
      if (tx >= 0 && ty >= 0 && tx < width && ty < height) out.data[ty * width + tx] = src.data[j * src.width + i];
    }
  }
  return out;
}

/** A polyline stroke, in the unit square (0..1 both ways, y down). */
export type Stroke = Array<[number, number]>;

/**
 * Draws strokes as a round-capped pen of `width` pixels, anti-aliased by exact distance to each
 * segment (coverage ramps over one pixel at the edge). Returns coverage in [0, 1].
 */
export function drawStrokes(strokes: Stroke[], size: { width: number; height: number }, box: { x: number; y: number; width: number; height: number }, penWidth: number): Plane {
  const out = plane(size.width, size.height);
  const r = penWidth / 2;
  for (const stroke of strokes) {
    const pts = stroke.map(([u, v]) => [box.x + u * box.width, box.y + v * box.height] as const);
    for (let s = 0; s < Math.max(1, pts.length - 1); s++) {
      const [ax, ay] = pts[s];
      const [bx, by] = pts[Math.min(s + 1, pts.length - 1)];
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
      const x1 = Math.min(size.width - 1, Math.ceil(Math.max(ax, bx) + r + 1));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
      const y1 = Math.min(size.height - 1, Math.ceil(Math.max(ay, by) + r + 1));
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2));
          const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
          const c = Math.min(1, Math.max(0, r + 0.5 - d));
          const i = y * size.width + x;
          if (c > out.data[i]) out.data[i] = c;
        }
      }
    }
  }
  return out;
}

/** Ink (1 = full) to 8-bit gray with ink dark on `paper` (0..1) or light on a dark ground. */
export function inkToGray(ink: Plane, paper = 1, inkLevel = 0): Uint8Array {
  return Uint8Array.from(ink.data, (v) => Math.round(255 * (paper + (inkLevel - paper) * v)));
}

export function pngGray(width: number, height: number, gray: Uint8Array): Uint8Array {
  return encodePng({ width, height, data: gray, channels: 1, depth: 8 });
}

export function pngRgba(width: number, height: number, rgba: Uint8Array): Uint8Array {
  return encodePng({ width, height, data: rgba, channels: 4, depth: 8 });
}

export function jpegGray(width: number, height: number, gray: Uint8Array, quality = 90): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < gray.length; i++) rgba.set([gray[i], gray[i], gray[i], 255], i * 4);
  return jpegRgba(width, height, rgba, quality);
}

export function jpegRgba(width: number, height: number, rgba: Uint8Array, quality = 90): Uint8Array {
  return new Uint8Array(encodeJpeg({ width, height, data: rgba }, quality).data);
}

/** Canvas-style RGBA: `color` ink with alpha = coverage on a fully transparent background. */
export function canvasRgba(ink: Plane, color: [number, number, number] = [0, 0, 0]): Uint8Array {
  const out = new Uint8Array(ink.width * ink.height * 4);
  for (let i = 0; i < ink.data.length; i++) out.set([...color, Math.round(255 * ink.data[i])], i * 4);
  return out;
}

/**
 * A phone photo of a digit on paper: light grey paper lit by a gradient, a soft shadow along one
 * edge, fibre/sensor noise, dark ink.
 */
export function paperPhoto(ink: Plane, seed: number, opts: { gradient?: number; shadow?: boolean; noise?: number; paper?: number; inkLevel?: number } = {}): Uint8Array {
  const random = rng(seed);
  const { width: w, height: h } = ink;
  const { gradient = 0.25, shadow = true, noise = 0.03, paper = 0.85, inkLevel = 0.2 } = opts;
  const angle = random() * 2 * Math.PI;
  const [gx, gy] = [Math.cos(angle), Math.sin(angle)];
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w - 0.5;
      const v = y / h - 0.5;
      let light = paper + gradient * (u * gx + v * gy);
      if (shadow) light *= 1 - 0.45 * Math.max(0, 1 - (x / w) / 0.12) ** 2; // a shadow falling from the left edge
      const i = y * w + x;
      const value = light + (inkLevel * light / paper - light) * ink.data[i] + noise * gaussian(random);
      out[i] = Math.round(255 * Math.min(1, Math.max(0, value)));
    }
  }
  return out;
}

/** Pearson correlation of two equal-length vectors. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Centre of mass (x, y) of a 28 x 28 image, in pixel indices. */
export function centreOfMass(p: ArrayLike<number>, side = 28): [number, number] {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < p.length; i++) {
    m += p[i];
    mx += p[i] * (i % side);
    my += p[i] * Math.floor(i / side);
  }
  return [mx / m, my / m];
}

/** The box of pixels over `threshold`: [x0, y0, width, height]. */
export function bbox(p: ArrayLike<number>, side = 28, threshold = 0.1): [number, number, number, number] {
  let x0 = side;
  let y0 = side;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] <= threshold) continue;
    const x = i % side;
    const y = Math.floor(i / side);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}
