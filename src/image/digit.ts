import { estimateBackground } from './background.ts';
import { connectedComponents, type Component } from './components.ts';
import { chamferDistance } from './distance.ts';
import { ImageError } from './errors.ts';
import type { GrayImage } from './gray.ts';
import { Histogram } from './histogram.ts';

/** Below this contrast between ink and paper (on a 0..1 scale) an image holds no digit. */
export const MIN_INK_CONTRAST = 0.15;
/** Ink must also stand this many noise standard deviations above the paper. */
const MIN_INK_SNR = 6;
/** A component lying this much within the border band, or filling its box this much while touching the edge, is a shadow or an edge of the table. */
const BORDER_BAND_SHARE = 0.3;
const BORDER_FILL = 0.6;
/** A banded component spanning this share of the side it touches is a shadow or an edge, never a digit. */
const ALONG_EDGE = 0.5;
/** Components smaller than this share of the largest are specks. */
const SPECK_SHARE = 0.05;
/** Components farther than this share of the digit's size from it are not part of it. */
const NEAR_SHARE = 0.3;

/** Paper noise (standard deviation) above which the ink map is smoothed before thresholding. */
const NOISY = 0.02;

/**
 * The paper's level (median) and noise: from the lower half alone, which ink (positive) does not
 * reach, as median - Q1 = 0.6745 sigma for Gaussian noise.
 */
function noiseOf(r: Float32Array): { level: number; noise: number } {
  const h = new Histogram(-1, 1, 2048).addAll(r);
  const level = h.quantile(0.5);
  return { level, noise: (level - h.quantile(0.25)) / 0.6745 };
}

/** Mean over each pixel's 3 x 3 neighbourhood (edges use the pixels that exist). */
function boxBlur3(src: Float32Array, w: number, h: number): Float32Array {
  const rows = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let s = src[i];
      let n = 1;
      if (x > 0) (s += src[i - 1]), n++;
      if (x < w - 1) (s += src[i + 1]), n++;
      rows[i] = s / n;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let s = rows[i];
      let n = 1;
      if (y > 0) (s += rows[i - w]), n++;
      if (y < h - 1) (s += rows[i + w]), n++;
      out[i] = s / n;
    }
  }
  return out;
}

/** The ink of one digit: a soft map (0 none, 1 full ink) over a region of the working image. */
export interface DigitInk {
  /** Ink in [0, 1] over the region of interest `roi` of the working image; 0 outside the digit. */
  ink: GrayImage;
  roi: { x: number; y: number; width: number; height: number };
  /** Mean stroke width in working pixels (2 x area / perimeter of the thresholded strokes). */
  strokeWidth: number;
  /** Distance (working pixels) from each ROI pixel to the digit's thresholded strokes. */
  distance: Float32Array;
  contrast: number;
  noise: number;
  kept: number;
  dropped: number;
}

/**
 * Finds the digit in an ink map (ink high, any lighting): removes the background estimated
 * locally, thresholds (Otsu, but never inside the noise), keeps the 8-connected components that
 * form the digit (dropping specks, shadows and table edges along the border, and marks far from
 * it), then grows them back over their anti-aliased fringe (hysteresis by distance) and scales the
 * ink so the strokes' core reads 1.
 *
 * @example
 * const { ink, roi } = findDigit({ width, height, data: inkMap });
 */
export function findDigit(img: GrayImage): DigitInk {
  const { width: w, height: h } = img;
  const paper = estimateBackground(img, 0.3).data; // ink is high: paper is the low side
  let r: Float32Array = new Float32Array(w * h);
  for (let i = 0; i < r.length; i++) r[i] = img.data[i] - paper[i];
  let { level, noise } = noiseOf(r);
  if (noise > NOISY) {
    // Grainy photos: average 3 x 3 before thresholding. Strokes are wider than 3 pixels at any
    // useful resolution, so they keep their level while pixel noise drops threefold.
    r = boxBlur3(r, w, h);
    ({ level, noise } = noiseOf(r));
  }
  // Otsu's threshold among the pixels already above the paper's noise (2 sigma): over the whole
  // image, a digit covering 1% of it would lose to the paper's own spread.
  const candidates = new Histogram(0, 1, 1024);
  const floor2 = Math.max(level + 2 * noise, 0);
  for (let i = 0; i < r.length; i++) if (r[i] > floor2) candidates.add(r[i]);
  const threshold = Math.max(candidates.otsu() || 0, level + 4 * noise, 0.05);
  const strong = new Uint8Array(w * h);
  const inkLevels = new Histogram(0, 1, 1024);
  for (let i = 0; i < r.length; i++) {
    if (r[i] >= threshold) {
      strong[i] = 1;
      inkLevels.add(r[i]);
    }
  }
  const inkLevel = inkLevels.total > 0 ? inkLevels.quantile(0.5) : 0;
  const contrast = inkLevel - Math.max(level, 0);
  if (inkLevels.total === 0 || contrast < MIN_INK_CONTRAST || contrast < MIN_INK_SNR * noise) {
    throw new ImageError(
      'no_digit',
      `no digit found: the image is blank or uniform (ink stands ${contrast.toFixed(3)} above the paper, noise ${noise.toFixed(3)}; at least ${MIN_INK_CONTRAST} and ${MIN_INK_SNR} x noise are needed)`,
    );
  }

  const band = Math.max(2, Math.round(0.04 * Math.min(w, h)));
  const { labels, components } = connectedComponents(strong, w, h, band);
  const kept = selectDigit(components, w, h);
  const keep = new Uint8Array(components.length + 1);
  for (const c of kept) keep[c.label] = 1;
  const box = bounds(kept);
  const size = Math.max(box.maxX - box.minX, box.maxY - box.minY) + 1;
  if (kept.reduce((a, c) => a + c.area, 0) < 4 || size < Math.max(3, 0.03 * Math.min(w, h))) {
    throw new ImageError('no_digit', `no digit found: only specks (the largest mark is ${size} pixels across in a ${w} x ${h} image)`);
  }

  // Work in a region around the kept strokes, wide enough for their fringe and any thickening.
  const seeds0 = new Uint8Array(w * h);
  let area = 0;
  let perimeter = 0;
  for (let i = 0; i < labels.length; i++) if (keep[labels[i]]) seeds0[i] = 1;
  for (let y = box.minY; y <= box.maxY; y++) {
    for (let x = box.minX; x <= box.maxX; x++) {
      const i = y * w + x;
      if (!seeds0[i]) continue;
      area++;
      perimeter += (x === 0 || !seeds0[i - 1] ? 1 : 0) + (x === w - 1 || !seeds0[i + 1] ? 1 : 0);
      perimeter += (y === 0 || !seeds0[i - w] ? 1 : 0) + (y === h - 1 || !seeds0[i + w] ? 1 : 0);
    }
  }
  const strokeWidth = (2 * area) / perimeter;
  const fringe = Math.max(2, 0.6 * strokeWidth);
  const margin = Math.ceil(Math.max(fringe, 0.06 * size) + 2);
  const roi = {
    x: Math.max(0, box.minX - margin),
    y: Math.max(0, box.minY - margin),
    width: Math.min(w, box.maxX + margin + 1) - Math.max(0, box.minX - margin),
    height: Math.min(h, box.maxY + margin + 1) - Math.max(0, box.minY - margin),
  };
  const seeds = new Uint8Array(roi.width * roi.height);
  for (let y = 0; y < roi.height; y++) {
    for (let x = 0; x < roi.width; x++) seeds[y * roi.width + x] = seeds0[(y + roi.y) * w + x + roi.x];
  }
  const distance = chamferDistance(seeds, roi.width, roi.height, margin);
  // Ink starts above the noise, and above faint compression ringing around strokes (4% of the ink).
  const floor = Math.max(0, level + 3 * noise, level + 0.04 * (inkLevel - level));
  const span = Math.max(inkLevel - floor, 1e-6);
  const ink = new Float32Array(roi.width * roi.height);
  for (let y = 0; y < roi.height; y++) {
    for (let x = 0; x < roi.width; x++) {
      const i = y * roi.width + x;
      if (distance[i] > fringe) continue;
      const v = (r[(y + roi.y) * w + x + roi.x] - floor) / span;
      ink[i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
    }
  }
  return {
    ink: { width: roi.width, height: roi.height, data: ink },
    roi,
    strokeWidth,
    distance,
    contrast,
    noise,
    kept: kept.length,
    dropped: components.length - kept.length,
  };
}

/**
 * Which components are the digit. Shadows and table edges run along the border: those go always.
 * Other border artefacts (mostly inside the border band, solid and touching the edge, or spanning
 * the frame from edge to edge) go unless nothing else is left (a digit drawn to the canvas edge); then specks; then, growing from the
 * largest, whatever lies near the digit so far.
 */
function selectDigit(components: Component[], w: number, h: number): Component[] {
  const [left, top, right, bottom] = [(c: Component) => c.minX === 0, (c: Component) => c.minY === 0, (c: Component) => c.maxX === w - 1, (c: Component) => c.maxY === h - 1];
  const touches = (c: Component) => left(c) || top(c) || right(c) || bottom(c);
  const fill = (c: Component) => c.area / ((c.maxX - c.minX + 1) * (c.maxY - c.minY + 1));
  const banded = (c: Component) => touches(c) && c.inBand / c.area > BORDER_BAND_SHARE;
  const alongEdge = (c: Component) =>
    ((left(c) || right(c)) && c.maxY - c.minY + 1 >= ALONG_EDGE * h) || ((top(c) || bottom(c)) && c.maxX - c.minX + 1 >= ALONG_EDGE * w);
  const all = components.filter((c) => !(banded(c) && alongEdge(c)));
  const spans = (c: Component) => (left(c) && right(c)) || (top(c) && bottom(c));
  let candidates = all.filter((c) => !banded(c) && !spans(c) && !(touches(c) && fill(c) > BORDER_FILL));
  if (candidates.length === 0) candidates = all;
  if (candidates.length === 0) {
    throw new ImageError('no_digit', 'no digit found: only shadows or edges along the border of the image');
  }
  candidates.sort((a, b) => b.area - a.area);
  const largest = candidates[0];
  candidates = candidates.filter((c) => c.area >= SPECK_SHARE * largest.area);
  const kept = [largest];
  const box = bounds(kept);
  for (let grew = true; grew; ) {
    grew = false;
    const reach = NEAR_SHARE * Math.max(box.maxX - box.minX + 1, box.maxY - box.minY + 1);
    for (const c of candidates) {
      if (kept.includes(c)) continue;
      const gapX = Math.max(0, c.minX - box.maxX, box.minX - c.maxX);
      const gapY = Math.max(0, c.minY - box.maxY, box.minY - c.maxY);
      if (Math.max(gapX, gapY) <= reach) {
        kept.push(c);
        Object.assign(box, bounds(kept));
        grew = true;
      }
    }
  }
  return kept;
}

function bounds(cs: Component[]): { minX: number; maxX: number; minY: number; maxY: number } {
  return {
    minX: Math.min(...cs.map((c) => c.minX)),
    maxX: Math.max(...cs.map((c) => c.maxX)),
    minY: Math.min(...cs.map((c) => c.minY)),
    maxY: Math.max(...cs.map((c) => c.maxY)),
  };
}
