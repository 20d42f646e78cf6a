import { ALLOGRAPHS, type Point, type Stroke } from './allographs.ts';

/**
 * A synthetic writer: one person's habits, fixed across everything they write (their shape for
 * each digit, slant, width, how they bend strokes, their pen and speed), and the variation from
 * one digit to the next. `write` turns a digit into pen strokes with a width along each.
 */
export interface Writer {
  id: string;
  /** Each digit's favourite allograph (written 85% of the time; another one otherwise). */
  favourite: string[];
  /** Rotation in degrees (positive: clockwise), horizontal shear, and width over height. */
  slant: number;
  shear: number;
  aspect: number;
  /** Amplitude (in digit heights) of the writer's own smooth bend of every shape, and of per-digit jitter. */
  bend: number;
  jitter: number;
  bendField: Wave[];
  /** Loops closed short (< 0, a gap) or past their start (> 0, an overlap). */
  closure: number;
  /** How far a second stroke misses or overshoots the first, in digit heights. */
  overshoot: number;
  /** Chance of drawing a stroke backwards. */
  reverse: number;
  /** Where the middle of a digit sits: > 0 lowers it (small lower loops of 8 and 3, big heads on 9), < 0 raises it. */
  waist: number;
  /** A tablet or touch screen that samples the pen coarsely draws straight segments this long (0: smooth). */
  sampling: number;
  pen: Pen;
}

export interface Pen {
  /** Stroke width over digit height: 0.015 (a thin canvas pen on a big canvas) to 0.2 (a marker). */
  width: number;
  /** A fast writer's stroke thins towards its end (0: none, 0.8: to a fifth). */
  taper: number;
  /** A slow writer's ink pools where the pen lands (extra width at a stroke's start). */
  blob: number;
  /** Width wavering with pressure along the stroke. */
  pressure: number;
}

interface Wave {
  fx: number;
  fy: number;
  phase: number;
  ax: number;
  ay: number;
}

/** A point of a pen stroke: position in the digit's box (height 1) and width relative to the pen's. */
export interface PenPoint {
  x: number;
  y: number;
  w: number;
}

export interface Written {
  allograph: string;
  strokes: PenPoint[][];
}

const between = (random: () => number, lo: number, hi: number) => lo + random() * (hi - lo);

/** A writer drawn from `random`: each call, another person. */
export function randomWriter(id: string, random: () => number): Writer {
  const fast = random();
  return {
    id,
    favourite: Array.from({ length: 10 }, (_, d) => pick(Object.keys(ALLOGRAPHS[d]), random)),
    slant: between(random, -20, 20),
    shear: between(random, -0.35, 0.45),
    aspect: between(random, 0.4, 1.05),
    bend: between(random, 0, 0.1),
    jitter: between(random, 0.005, 0.04),
    bendField: waves(random),
    closure: between(random, -0.2, 0.2),
    overshoot: between(random, 0, 0.12),
    reverse: random() < 0.25 ? between(random, 0.2, 0.8) : 0,
    waist: between(random, -0.15, 0.15),
    sampling: random() < 0.3 ? between(random, 0.06, 0.2) : 0,
    pen: {
      width: Math.exp(between(random, Math.log(0.015), Math.log(0.22))),
      taper: fast > 0.6 ? between(random, 0.2, 0.8) : 0,
      blob: fast < 0.25 ? between(random, 0.2, 0.8) : 0,
      pressure: between(random, 0, 0.35),
    },
  };
}

/**
 * `digit` as `writer` writes it this time: strokes in the unit box (height 1, centred), each point
 * with its relative pen width.
 */
export function write(digit: number, writer: Writer, random: () => number): Written {
  const shapes = ALLOGRAPHS[digit];
  const names = Object.keys(shapes);
  const allograph = random() < 0.85 ? writer.favourite[digit] : pick(names, random);
  let strokes = shapes[allograph](writer.closure + between(random, -0.04, 0.04)).map((s) => s.map((p): Point => [p[0], p[1]]));
  strokes = strokes.map((s, i) => (i > 0 ? missOrOvershoot(s, writer.overshoot * between(random, -1, 1), writer.overshoot * between(random, -1, 1)) : s));
  if (writer.reverse && random() < writer.reverse) {
    const k = Math.floor(random() * strokes.length);
    strokes[k] = strokes[k].reverse();
  }
  const jitterField = waves(random);
  const rad = ((writer.slant + between(random, -4, 4)) * Math.PI) / 180;
  const [c, s] = [Math.cos(rad), Math.sin(rad)];
  const aspect = writer.aspect * between(random, 0.92, 1.08);
  const shear = writer.shear + between(random, -0.06, 0.06);
  const moved = strokes.map((stroke) =>
    resample(writer.sampling ? coarse(stroke, writer.sampling * between(random, 0.8, 1.2)) : stroke, 0.01).map(([x0, y0]): Point => {
      const [x, y] = [x0, y0 + writer.waist * Math.sin(Math.PI * Math.min(1, Math.max(0, y0)))];
      const [bx, by] = displace(writer.bendField, x, y, writer.bend);
      const [jx, jy] = displace(jitterField, x, y, writer.jitter);
      const u = (x + bx + jx - 0.5) * aspect + shear * (0.5 - y);
      const v = y + by + jy - 0.5;
      return [c * u - s * v, s * u + c * v];
    }),
  );
  const all = moved.flat();
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const k = 1 / (y1 - y0);
  const phase = random() * 6.28;
  return {
    allograph,
    strokes: moved.map((stroke) =>
      stroke.map(([x, y], i): PenPoint => {
        const t = i / Math.max(1, stroke.length - 1);
        const length = i * 0.01;
        const taper = 1 - writer.pen.taper * smoothstep(0.6, 1, t);
        const blob = 1 + writer.pen.blob * Math.exp(-((length / 0.04) ** 2));
        const pressure = 1 + writer.pen.pressure * Math.sin(9 * length + phase);
        return { x: 0.5 + (x - (x0 + x1) / 2) * k, y: (y - y0) * k, w: Math.min(1.5, Math.max(0.2, taper * blob * pressure)) };
      }),
    ),
  };
}

function pick<T>(xs: T[], random: () => number): T {
  return xs[Math.floor(random() * xs.length)];
}

function smoothstep(a: number, b: number, t: number): number {
  const u = Math.min(1, Math.max(0, (t - a) / (b - a)));
  return u * u * (3 - 2 * u);
}

/** A smooth displacement field: a few plane waves of low frequency. */
function waves(random: () => number): Wave[] {
  return Array.from({ length: 3 }, () => ({
    fx: between(random, 1, 5), fy: between(random, 1, 5), phase: random() * 6.28,
    ax: between(random, -1, 1), ay: between(random, -1, 1),
  }));
}

function displace(field: Wave[], x: number, y: number, amplitude: number): Point {
  let dx = 0;
  let dy = 0;
  for (const w of field) {
    const v = Math.sin(w.fx * x + w.fy * y + w.phase);
    dx += w.ax * v;
    dy += w.ay * v;
  }
  return [(amplitude * dx) / field.length, (amplitude * dy) / field.length];
}

/** Moves a stroke's ends along its own direction: out (> 0, overshoot) or in (< 0, a gap at the join). */
function missOrOvershoot(s: Stroke, start: number, end: number): Stroke {
  const out = s.map((p): Point => [p[0], p[1]]);
  const push = (i: number, j: number, d: number) => {
    const [ax, ay] = out[i];
    const [bx, by] = out[j];
    const len = Math.hypot(ax - bx, ay - by) || 1;
    out[i] = [ax + ((ax - bx) / len) * d, ay + ((ay - by) / len) * d];
  };
  if (out.length >= 2) {
    push(0, 1, start);
    push(out.length - 1, out.length - 2, end);
  }
  return out;
}

/** Every point `step` apart along the stroke, joined straight (a pen sampled at a low rate), ends kept. */
function coarse(stroke: Stroke, step: number): Stroke {
  const out: Stroke = [stroke[0]];
  let since = 0;
  for (let i = 1; i < stroke.length; i++) {
    since += Math.hypot(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]);
    if (since >= step || i === stroke.length - 1) {
      out.push(stroke[i]);
      since = 0;
    }
  }
  return out;
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
