/**
 * Digit skeletons as pen strokes (polylines in the unit square, y down), and a hand that draws
 * them with the wobble of a real writer: a random slant, shear, aspect and size, and smooth
 * jitter along each stroke. Used to make labelled digits that are not from MNIST.
 */
export type Point = [number, number];
export type Stroke = Point[];

/** An elliptical arc from `from` to `to` degrees, as `n` segments. */
export function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = 16): Stroke {
  const out: Stroke = [];
  for (let i = 0; i <= n; i++) {
    const a = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    out.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return out;
}

/** Angles in degrees, 0 at 3 o'clock, clockwise (y points down). */
export const SKELETONS: Record<number, Stroke[]> = {
  0: [arc(0.5, 0.5, 0.32, 0.46, -90, 275, 28)],
  1: [[[0.32, 0.22], [0.56, 0.04], [0.56, 0.96]]],
  2: [[...arc(0.5, 0.28, 0.3, 0.24, 200, 380, 12), [0.72, 0.45], [0.18, 0.96], [0.86, 0.96]]],
  3: [[...arc(0.48, 0.27, 0.3, 0.23, 210, 450, 14)], [...arc(0.48, 0.71, 0.34, 0.25, -90, 150, 14)]],
  4: [[[0.62, 0.96], [0.62, 0.04], [0.12, 0.66], [0.88, 0.66]]],
  5: [[[0.82, 0.05], [0.3, 0.05], [0.24, 0.44], ...arc(0.5, 0.66, 0.33, 0.29, -120, 150, 14)]],
  6: [[[0.72, 0.04], [0.4, 0.3], ...arc(0.5, 0.7, 0.3, 0.26, 180, 540, 24)]],
  7: [[[0.14, 0.05], [0.86, 0.05], [0.42, 0.96]]],
  8: [[...arc(0.5, 0.26, 0.24, 0.22, 90, 450, 20)], [...arc(0.5, 0.71, 0.3, 0.25, -90, 270, 22)]],
  9: [[...arc(0.48, 0.3, 0.28, 0.26, 0, 360, 22)], [[0.76, 0.3], [0.7, 0.96]]],
};

export interface Hand {
  /** Rotation in degrees (positive: clockwise). */
  slant: number;
  /** Horizontal shear (italic lean). */
  shear: number;
  /** Width relative to height. */
  aspect: number;
  /** Amplitude of the smooth wobble, in units of the digit's height. */
  wobble: number;
}

/** A random hand: slant within +-12 degrees, shear within +-0.25, aspect 0.55 to 0.85, wobble up to 3%. */
export function randomHand(random: () => number): Hand {
  return {
    slant: (random() * 2 - 1) * 12,
    shear: (random() * 2 - 1) * 0.25,
    aspect: 0.55 + random() * 0.3,
    wobble: random() * 0.03,
  };
}

/**
 * The skeleton of `digit` (from `skeletons`, by default these) as written by `hand`, in the unit square (the digit's height spans 0..1,
 * centred horizontally). Points are resampled every 1% of height and wobbled smoothly.
 */
export function handwrite(digit: number, hand: Hand, random: () => number, skeletons: Record<number, Stroke[]> = SKELETONS): Stroke[] {
  const rad = (hand.slant * Math.PI) / 180;
  const [c, s] = [Math.cos(rad), Math.sin(rad)];
  const phase = [random() * 6.28, random() * 6.28, random() * 6.28, random() * 6.28];
  const strokes = skeletons[digit].map((stroke) =>
    resample(stroke, 0.01).map(([x, y], i): Point => {
      const t = i * 0.01;
      const wx = hand.wobble * (Math.sin(7 * t + phase[0]) + 0.5 * Math.sin(17 * t + phase[1]));
      const wy = hand.wobble * (Math.sin(5 * t + phase[2]) + 0.5 * Math.sin(13 * t + phase[3]));
      const u = (x - 0.5) * hand.aspect + hand.shear * (0.5 - y) + wx;
      const v = y - 0.5 + wy;
      return [0.5 + c * u - s * v, 0.5 + s * u + c * v];
    }),
  );
  // Fit back into the unit height, centred.
  const ys = strokes.flat().map((p) => p[1]);
  const xs = strokes.flat().map((p) => p[0]);
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const k = 1 / (y1 - y0);
  return strokes.map((st) => st.map(([x, y]): Point => [0.5 + (x - (x0 + x1) / 2) * k, (y - y0) * k]));
}

/** Points every `step` along a polyline. */
function resample(stroke: Stroke, step: number): Stroke {
  const out: Stroke = [stroke[0]];
  for (let i = 1; i < stroke.length; i++) {
    const [ax, ay] = stroke[i - 1];
    const [bx, by] = stroke[i];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / step));
    for (let j = 1; j <= n; j++) out.push([ax + ((bx - ax) * j) / n, ay + ((by - ay) * j) / n]);
  }
  return out;
}
