/**
 * The shapes people give each digit (allographs), as pen strokes in the order and direction a
 * writer draws them: polylines in the unit square, y down, the digit's height spanning about 0..1.
 * A writer (writer.ts) picks their own shape for each digit and bends, slants and jitters it.
 */
export type Point = [number, number];
export type Stroke = Point[];

/** Points on an ellipse; angles in degrees, 0 at 3 o'clock, increasing clockwise (y points down). */
export function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = Math.max(8, Math.ceil(Math.abs(to - from) / 12))): Stroke {
  const out: Stroke = [];
  for (let i = 0; i <= n; i++) {
    const a = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    out.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return out;
}

/** A figure eight in one stroke from the top, through the waist to the lower loop and back (right first, or left). */
function figureEight(leftFirst: boolean): Stroke {
  const out: Stroke = [];
  for (let i = 0; i <= 48; i++) {
    const t = (i / 48) * 2 * Math.PI;
    const y = 0.5 - 0.5 * Math.cos(t);
    // The lower loop is a little wider than the upper one, as most people write it.
    out.push([0.5 + (leftFirst ? -1 : 1) * (y > 0.5 ? 0.3 : 0.23) * Math.sin(2 * t), y]);
  }
  return out;
}

/**
 * Each digit's allographs. `closure` (-0.1..0.15) lengthens (overlap) or shortens (gap) loops
 * that come back to their start; the writer gives it.
 */
export const ALLOGRAPHS: Record<number, Record<string, (closure: number) => Stroke[]>> = {
  0: {
    'oval-anticlockwise': (c) => [arc(0.5, 0.5, 0.3, 0.48, -80, -80 - 360 * (1 + c))],
    'oval-clockwise': (c) => [arc(0.5, 0.5, 0.3, 0.48, -100, -100 + 360 * (1 + c))],
    'narrow-tilted': (c) => [arc(0.5, 0.5, 0.22, 0.49, -70, -70 - 360 * (1 + c))],
  },
  1: {
    stick: () => [[[0.5, 0], [0.5, 1]]],
    flag: () => [[[0.22, 0.28], [0.54, 0], [0.54, 1]]],
    'flag-base': () => [[[0.22, 0.26], [0.52, 0], [0.52, 0.98]], [[0.22, 0.99], [0.82, 0.99]]],
  },
  2: {
    plain: () => [[...arc(0.5, 0.27, 0.3, 0.25, 195, 375), [0.74, 0.44], [0.18, 0.97], [0.86, 0.97]]],
    curved: () => [[...arc(0.5, 0.28, 0.31, 0.27, 200, 360), [0.76, 0.46], [0.58, 0.66], [0.34, 0.84], [0.14, 0.98], [0.5, 0.93], [0.88, 0.96]]],
    loop: () => [[...arc(0.5, 0.27, 0.3, 0.25, 195, 375), [0.7, 0.5], [0.28, 0.88], [0.16, 0.84], [0.2, 0.74], [0.32, 0.78], [0.34, 0.95], [0.88, 0.96]]],
  },
  3: {
    round: () => [[...arc(0.48, 0.26, 0.3, 0.24, 205, 430), ...arc(0.48, 0.73, 0.34, 0.26, -85, 155)]],
    'two-strokes': () => [arc(0.47, 0.26, 0.3, 0.24, 200, 440), arc(0.48, 0.72, 0.35, 0.27, -100, 150)],
    'flat-top': () => [[[0.18, 0.03], [0.8, 0.03], [0.4, 0.42], ...arc(0.47, 0.7, 0.36, 0.28, -110, 150)]],
  },
  4: {
    closed: () => [[[0.64, 0.98], [0.64, 0.02], [0.1, 0.66], [0.9, 0.66]]],
    open: () => [[[0.22, 0.0], [0.14, 0.62], [0.88, 0.62]], [[0.66, 0.22], [0.66, 1]]],
    'open-tall': () => [[[0.26, 0.04], [0.18, 0.56], [0.9, 0.54]], [[0.7, 0.0], [0.64, 1]]],
  },
  5: {
    'flag-last': () => [[[0.3, 0.04], [0.24, 0.44], ...arc(0.5, 0.67, 0.32, 0.29, -135, 150)], [[0.3, 0.04], [0.84, 0.03]]],
    'one-stroke': () => [[[0.82, 0.04], [0.3, 0.04], [0.24, 0.44], ...arc(0.5, 0.67, 0.32, 0.29, -125, 150)]],
    'round-belly': () => [[[0.32, 0.05], [0.3, 0.42], ...arc(0.48, 0.68, 0.36, 0.3, -120, 175)], [[0.32, 0.05], [0.8, 0.08]]],
  },
  6: {
    curved: (c) => [[...arc(0.76, 0.62, 0.52, 0.6, -88, -178), ...arc(0.5, 0.73, 0.27, 0.25, 180, -160 - 60 * c)]],
    straight: (c) => [[[0.72, 0.0], [0.24, 0.64], ...arc(0.5, 0.74, 0.27, 0.24, 160, -170 - 60 * c)]],
  },
  7: {
    plain: () => [[[0.1, 0.04], [0.88, 0.04], [0.42, 0.99]]],
    crossbar: () => [[[0.1, 0.04], [0.88, 0.04], [0.44, 0.99]], [[0.36, 0.52], [0.82, 0.5]]],
    'curved-stem': () => [[[0.1, 0.08], [0.86, 0.04], [0.7, 0.34], [0.56, 0.66], [0.5, 0.99]]],
    hooked: () => [[[0.1, 0.2], [0.12, 0.04], [0.88, 0.05], [0.42, 0.99]]],
  },
  8: {
    'two-loops': (c) => [arc(0.5, 0.25, 0.24, 0.22, 90, 450 + 360 * c), arc(0.5, 0.72, 0.3, 0.26, -90, 270 + 360 * c)],
    'figure-right': () => [figureEight(false)],
    'figure-left': () => [figureEight(true)],
  },
  9: {
    straight: (c) => [[...arc(0.46, 0.28, 0.28, 0.26, 10, -360 * (1 + c)), [0.74, 0.98]]],
    'loop-then-stem': (c) => [arc(0.46, 0.28, 0.28, 0.26, -10, -370 - 360 * c), [[0.74, 0.22], [0.7, 0.99]]],
    curved: (c) => [[...arc(0.46, 0.28, 0.28, 0.26, 10, -360 * (1 + c)), [0.75, 0.56], [0.7, 0.84], [0.56, 0.99], [0.38, 0.95]]],
  },
};
