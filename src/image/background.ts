import type { GrayImage } from './gray.ts';

/** Smallest cell, in pixels: each estimate pools at least 24 x 24 pixels. */
const MIN_CELL = 8;
/** Cells per shorter side by default: each estimate pools 3 x 3 cells, a quarter of the shorter side. */
const CELLS_PER_SIDE = 12;
const BINS = 256;

/**
 * A smooth estimate of the paper (or board) under the ink, for photos lit unevenly: per grid cell,
 * the q-quantile of the pixels in the 3 x 3 cells around it, interpolated bilinearly between cell
 * centres. With q on the background's side (say 0.7 of the gray levels for dark ink), the estimate
 * holds as long as ink covers under 70% of any such window, which strokes thinner than a tenth of
 * the image do.
 *
 * @example
 * const paper = estimateBackground(gray, 0.7); // dark ink: paper is the brighter side
 * const ink = gray.data.map((v, i) => Math.max(0, paper.data[i] - v));
 */
export function estimateBackground(img: GrayImage, q: number, cellsPerSide = CELLS_PER_SIDE, lowEnvelope = 0): GrayImage {
  const { width: w, height: h, data } = img;
  const side = Math.min(w, h);
  const cell = Math.max(MIN_CELL, Math.ceil(side / cellsPerSide));
  const gw = Math.ceil(w / cell);
  const gh = Math.ceil(h / cell);
  const hist = new Uint32Array(gw * gh * BINS);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / cell) * gw;
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x];
      const b = v <= 0 ? 0 : v >= 1 ? BINS - 1 : Math.floor(v * BINS);
      hist[(row + Math.floor(x / cell)) * BINS + b]++;
    }
  }
  const windows = neighbourhoodSums(hist, gw, gh);
  const grid = new Float32Array(gw * gh);
  for (let c = 0; c < gw * gh; c++) {
    const base = c * BINS;
    let total = 0;
    for (let b = 0; b < BINS; b++) total += windows[base + b];
    const target = q * total;
    let seen = 0;
    let b = 0;
    while (b < BINS - 1 && seen + windows[base + b] <= target) seen += windows[base + b++];
    grid[c] = (b + 0.5) / BINS;
  }
  return { width: w, height: h, data: interpolate(lowEnvelope ? minFilter(grid, gw, gh, lowEnvelope) : grid, gw, gh, cell, w, h) };
}

/**
 * Each cell's histogram summed with its neighbours' over the 3 x 3 cells around it (fewer at the
 * edges): by prefix sums along each row of cells, then along each column, four operations per bin
 * and cell rather than nine additions. Counts are integers, so the sums are exact in any order.
 */
function neighbourhoodSums(hist: Uint32Array, gw: number, gh: number): Uint32Array {
  return sumAlong(sumAlong(hist, gw, gh, 1, gw), gh, gw, gw, 1);
}

/**
 * For `lines` lines of `n` cells each (cell i of line l at (l * lineStep + i * step) * BINS), each
 * cell's histogram summed over cells i - 1..i + 1 of its line, from running prefix sums per bin.
 */
function sumAlong(hist: Uint32Array, n: number, lines: number, step: number, lineStep: number): Uint32Array {
  const out = new Uint32Array(hist.length);
  // prefix[(i + 1) * BINS + b]: bin b summed over cells 0..i of the line.
  const prefix = new Uint32Array((n + 1) * BINS);
  for (let l = 0; l < lines; l++) {
    for (let i = 0; i < n; i++) {
      const from = (l * lineStep + i * step) * BINS;
      for (let b = 0; b < BINS; b++) prefix[(i + 1) * BINS + b] = prefix[i * BINS + b] + hist[from + b];
    }
    for (let i = 0; i < n; i++) {
      const to = (l * lineStep + i * step) * BINS;
      const hi = Math.min(n, i + 2) * BINS;
      const lo = Math.max(0, i - 1) * BINS;
      for (let b = 0; b < BINS; b++) out[to + b] = prefix[hi + b] - prefix[lo + b];
    }
  }
  return out;
}

/**
 * Each cell's estimate replaced by the lowest within `r` cells: where thick strokes fill a whole
 * window (an 8's middle drawn large), its quantile lands on the ink; the neighbours' paper does
 * not. Lighting varies slowly, so the envelope follows it.
 */
function minFilter(grid: Float32Array, gw: number, gh: number, r: number): Float32Array {
  const out = new Float32Array(grid.length);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let m = Infinity;
      for (let cy = Math.max(0, gy - r); cy <= Math.min(gh - 1, gy + r); cy++) {
        for (let cx = Math.max(0, gx - r); cx <= Math.min(gw - 1, gx + r); cx++) m = Math.min(m, grid[cy * gw + cx]);
      }
      out[gy * gw + gx] = m;
    }
  }
  return out;
}

/** Bilinear interpolation between cell centres, held constant beyond the outer centres. */
function interpolate(grid: Float32Array, gw: number, gh: number, cell: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const xs = axis(w, gw, cell);
  const ys = axis(h, gh, cell);
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y] * gw;
    const r1 = ys.i1[y] * gw;
    const fy = ys.f[y];
    for (let x = 0; x < w; x++) {
      const x0 = xs.i0[x];
      const x1 = xs.i1[x];
      const fx = xs.f[x];
      const top = grid[r0 + x0] * (1 - fx) + grid[r0 + x1] * fx;
      const bottom = grid[r1 + x0] * (1 - fx) + grid[r1 + x1] * fx;
      out[y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function axis(n: number, cells: number, cell: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const f = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    // Centre of cell c is at (c + 0.5) * cell, except the last, possibly partial, cell.
    const t = Math.min(Math.max((p + 0.5) / cell - 0.5, 0), cells - 1);
    i0[p] = Math.floor(t);
    i1[p] = Math.min(i0[p] + 1, cells - 1);
    f[p] = t - i0[p];
  }
  return { i0, i1, f };
}
