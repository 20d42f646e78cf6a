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
const NEAR_SHARE = 0.5;

/** Paper noise (standard deviation) under which an image is clean enough to follow faint strokes. */
const CLEAN_NOISE = 0.005;
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
  const paper = inkAbovePaper(img);
  const ink = thresholdInk(paper);
  const { labels, components, candidates } = markCandidates(ink.strong, w, h);
  const digit = gatherDigit(paper, ink, labels, candidates, w, h);
  const map = inkMap(paper, ink, digit, w, h);
  return { ...map, contrast: ink.contrast, noise: paper.noise, kept: digit.kept.length, dropped: components.length - digit.kept.length };
}

/** The ink above the paper (`r`, ink high), and the paper's level and noise in it. */
interface PaperResidual {
  r: Float32Array;
  level: number;
  noise: number;
}

/**
 * Stage 1, the paper: removes the background estimated locally, taking the lower envelope on clean
 * paper, and averages grainy photos 3 x 3.
 */
function inkAbovePaper(img: GrayImage): PaperResidual {
  const { width: w, height: h } = img;
  // Ink is high: paper is the low side.
  const paper = estimateBackground(img, 0.3).data;
  let r: Float32Array = new Float32Array(w * h);
  for (let i = 0; i < r.length; i++) r[i] = img.data[i] - paper[i];
  let { level, noise } = noiseOf(r);
  if (noise < NOISY) {
    // Clean paper (drawings, renders, scans): take the lower envelope of the local estimates over
    // 5 x 5 cells, so that a window filled by thick strokes (an 8's middle drawn large) does not
    // take the ink for paper. Kept only if the paper stays as flat: where the envelope cannot
    // follow uneven lighting (photos), the plain estimate, which does, is kept.
    const envelope = estimateBackground(img, 0.3, undefined, 2).data;
    const flat = new Float32Array(w * h);
    for (let i = 0; i < flat.length; i++) flat[i] = img.data[i] - envelope[i];
    const e = noiseOf(flat);
    if (e.noise <= noise + 0.002) {
      r = flat;
      ({ level, noise } = e);
    }
  }
  if (noise > NOISY) {
    // Grainy photos: average 3 x 3 before thresholding. Strokes are wider than 3 pixels at any
    // useful resolution, so they keep their level while pixel noise drops threefold.
    r = boxBlur3(r, w, h);
    ({ level, noise } = noiseOf(r));
  }
  return { r, level, noise };
}

/** The strong ink: pixels at or above the threshold, and the ink's median level and contrast. */
interface StrongInk {
  threshold: number;
  strong: Uint8Array;
  inkLevel: number;
  contrast: number;
}

/** Stage 2, the threshold: Otsu's, but never inside the noise; refuses an image without ink. */
function thresholdInk({ r, level, noise }: PaperResidual): StrongInk {
  // Otsu's threshold among the pixels already above the paper's noise (2 sigma): over the whole
  // image, a digit covering 1% of it would lose to the paper's own spread.
  const aboveNoise = new Histogram(0, 1, 1024);
  const floor2 = Math.max(level + 2 * noise, 0);
  for (let i = 0; i < r.length; i++) if (r[i] > floor2) aboveNoise.add(r[i]);
  const threshold = Math.max(aboveNoise.otsu() || 0, level + 4 * noise, 0.05);
  const strong = new Uint8Array(r.length);
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
  return { threshold, strong, inkLevel, contrast };
}

/** Stage 3, the marks: the 8-connected components, and those that may be the digit (largest first); refuses specks. */
function markCandidates(strong: Uint8Array, w: number, h: number): { labels: Int32Array; components: Component[]; candidates: Component[] } {
  const band = Math.max(2, Math.round(0.04 * Math.min(w, h)));
  const { labels, components } = connectedComponents(strong, w, h, band);
  const candidates = digitCandidates(components, w, h);
  const first = candidates[0];
  const firstSize = Math.max(first.maxX - first.minX, first.maxY - first.minY) + 1;
  if (first.area < 4 || firstSize < Math.max(3, 0.03 * Math.min(w, h))) {
    throw new ImageError('no_digit', `no digit found: only specks (the largest mark is ${firstSize} pixels across in a ${w} x ${h} image)`);
  }
  return { labels, components, candidates };
}

/** The digit's strokes as a mask over the image, the marks kept, and their bounding box. */
interface DigitStrokes {
  seeds: Uint8Array;
  kept: Component[];
  box: Box;
}

/**
 * Stage 4, the ink's growth: from the largest mark, alternately gathers the marks near the digit
 * so far and grows it over its faint strokes (hysteresis, as in Canny's edge detector: a
 * calligraphic hairline, a pencil's light end, connected to the kept strokes, belongs to the digit).
 */
function gatherDigit({ r, level, noise }: PaperResidual, { threshold }: StrongInk, labels: Int32Array, candidates: Component[], w: number, h: number): DigitStrokes {
  const seeds = new Uint8Array(w * h);
  // Only on clean images (drawings, renders, scans): in a photo, faint means noise or shadow.
  const weakThreshold = noise < CLEAN_NOISE ? Math.max(level + 0.2 * (threshold - level), 0.05) : Infinity;
  const kept: Component[] = [];
  let box: Box = bounds([candidates[0]]);
  for (let round = 0; round < 4; round++) {
    const added = gatherNear(candidates, kept, box);
    if (added.length === 0) break;
    const keep = new Set(added.map((c) => c.label));
    for (let i = 0; i < labels.length; i++) if (keep.has(labels[i])) seeds[i] = 1;
    box = Number.isFinite(weakThreshold) ? grow(seeds, r, w, h, weakThreshold, union(box, bounds(kept))) : union(box, bounds(kept));
  }
  return { seeds, kept, box };
}

/**
 * Stage 5, the ink map: a region around the strokes wide enough for their fringe, the ink in it
 * within the fringe's distance of the strokes, scaled so the strokes' core reads 1.
 */
function inkMap({ r, level, noise }: PaperResidual, { inkLevel }: StrongInk, { seeds: seeds0, box }: DigitStrokes, w: number, h: number): Pick<DigitInk, 'ink' | 'roi' | 'strokeWidth' | 'distance'> {
  const size = Math.max(box.maxX - box.minX, box.maxY - box.minY) + 1;
  let area = 0;
  let perimeter = 0;
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
  return { ink: { width: roi.width, height: roi.height, data: ink }, roi, strokeWidth, distance };
}

/**
 * The components that may be the digit, largest first. Shadows and table edges run along the
 * border: those go always. Other border artefacts (mostly inside the border band, solid and
 * touching the edge, or spanning the frame from edge to edge) go unless nothing else is left (a
 * digit drawn to the canvas edge); then specks.
 */
function digitCandidates(components: Component[], w: number, h: number): Component[] {
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
  return candidates.filter((c) => c.area >= SPECK_SHARE * candidates[0].area);
}

/** Moves into `kept` the candidates within reach of `box` (and of each other), returning those added. */
function gatherNear(candidates: Component[], kept: Component[], box: Box): Component[] {
  const added: Component[] = [];
  const grown = { ...box };
  for (let more = true; more; ) {
    more = false;
    const reach = NEAR_SHARE * Math.max(grown.maxX - grown.minX + 1, grown.maxY - grown.minY + 1);
    for (const c of candidates) {
      if (kept.includes(c)) continue;
      const gapX = Math.max(0, c.minX - grown.maxX, grown.minX - c.maxX);
      const gapY = Math.max(0, c.minY - grown.maxY, grown.minY - c.maxY);
      if (Math.max(gapX, gapY) <= reach) {
        kept.push(c);
        added.push(c);
        Object.assign(grown, union(grown, bounds([c])));
        more = true;
      }
    }
  }
  return added;
}

function union(a: Box, b: Box): Box {
  return { minX: Math.min(a.minX, b.minX), maxX: Math.max(a.maxX, b.maxX), minY: Math.min(a.minY, b.minY), maxY: Math.max(a.maxY, b.maxY) };
}

type Box = { minX: number; maxX: number; minY: number; maxY: number };

/**
 * Grows `mask` (in place) by flood fill over 8-connected pixels of `r` at or above `threshold`,
 * and returns the grown box. If the growth would reach farther out than the kept box's longer
 * side, or add more than twice the pixels the mask holds (a bridge into a shadow or the
 * background), the mask is left as it was.
 */
function grow(mask: Uint8Array, r: Float32Array, w: number, h: number, threshold: number, box: Box): Box {
  const reach = Math.max(box.maxX - box.minX + 1, box.maxY - box.minY + 1);
  const limit = { minX: box.minX - reach, maxX: box.maxX + reach, minY: box.minY - reach, maxY: box.maxY + reach };
  const stack: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) stack.push(i);
  const maxAdded = 2 * stack.length; // faint strokes add less ink than twice what the strong ones hold
  const added: number[] = [];
  const grown = { ...box };
  const revert = () => {
    for (const k of added) mask[k] = 0;
    return box;
  };
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w;
    const y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (mask[j] || r[j] < threshold) continue;
        if (nx < limit.minX || nx > limit.maxX || ny < limit.minY || ny > limit.maxY || added.length >= maxAdded) return revert();
        mask[j] = 1;
        added.push(j);
        stack.push(j);
        if (nx < grown.minX) grown.minX = nx;
        if (nx > grown.maxX) grown.maxX = nx;
        if (ny < grown.minY) grown.minY = ny;
        if (ny > grown.maxY) grown.maxY = ny;
      }
    }
  }
  return grown;
}

function bounds(cs: Component[]): { minX: number; maxX: number; minY: number; maxY: number } {
  return {
    minX: Math.min(...cs.map((c) => c.minX)),
    maxX: Math.max(...cs.map((c) => c.maxX)),
    minY: Math.min(...cs.map((c) => c.minY)),
    maxY: Math.max(...cs.map((c) => c.maxY)),
  };
}
