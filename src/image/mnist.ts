import { decodeImageToGray, type DecodeOptions } from './decode.ts';
import { findDigit } from './digit.ts';
import { ImageError } from './errors.ts';
import { toGray, type GrayImage } from './gray.ts';
import { Histogram } from './histogram.ts';
import { WORK_MAX_SIDE } from './limits.ts';
import { applyOrientation, type Orientation } from './orientation.ts';
import { detectPolarity, type Polarity } from './polarity.ts';
import type { Raster } from './raster.ts';
import { fitToBox } from './resample.ts';
import type { ImageFormat } from './sniff.ts';

/** MNIST's geometry (LeCun et al.): digits fitted to a 20 x 20 box, centred by mass in 28 x 28. */
export const MNIST_SIDE = 28;
export const MNIST_BOX = 20;
/** Pixels of one digit, 28 x 28, row-major: a model's input (the one pixel count of the software). */
export const PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Where MNIST's centres of mass sit, in pixel indices: the mean over the test set is (14.01, 13.99). */
export const MNIST_CENTRE = 14;
/**
 * MNIST's strokes are about 2 pixels wide (median of 2 x area / perimeter over the test set, at
 * threshold 0.5; 5% are under 1.3): strokes under MIN_STROKE are thickened to this before scaling.
 */
export const MNIST_STROKE = 2;
const MIN_STROKE = 1.2;

/** What the model sees, and how it was made. */
export interface MnistDigit {
  /** 784 values in [0, 1], row-major 28 x 28, ink high: the model's input. */
  pixels: Float32Array;
  /** The same as 8-bit gray (ink 255), to show a person what the model saw. */
  gray8: Uint8Array;
  info: DigitInfo;
}

export interface DigitInfo {
  /** Upright size of the input, in pixels. */
  width: number;
  height: number;
  format?: ImageFormat;
  polarity: Polarity;
  /** True when a 28 x 28 input was taken as already MNIST-shaped (no crop, scale or centring). */
  passthrough: boolean;
  /** The digit's ink box in the upright input, in input pixels (before any thickening). */
  box: { x: number; y: number; width: number; height: number };
  /** Mean stroke width in the 28 x 28 output, in pixels, after any thickening. */
  strokeWidth: number;
  /** How many working pixels strokes were thickened by on each side (0 when they were thick enough). */
  thickenedBy: number;
  /** Ink minus paper on a 0..1 scale, and the paper's noise (standard deviation). */
  contrast: number;
  noise: number;
  /** Connected components kept as the digit and dropped as specks, shadows or far marks. */
  components: { kept: number; dropped: number };
}

export interface PreprocessOptions {
  /** Take a 28 x 28 input as MNIST-shaped already and keep its geometry (default true). */
  keepMnistGeometry?: boolean;
}

/**
 * Any image of a digit to the input MNIST models expect, made as MNIST was made: alpha over
 * white, grayscale, polarity (ink high), background and lighting removed, the digit's strokes
 * found, cropped, fitted to 20 x 20 with area averaging, centred by centre of mass in 28 x 28.
 *
 * @example
 * const { pixels, gray8, info } = preprocess({ ...canvasImageData, channels: 4 });
 */
export function preprocess(raster: Raster, options: PreprocessOptions = {}): MnistDigit {
  const source = { width: raster.width, height: raster.height, orientation: raster.orientation ?? 1 };
  return preprocessReduced(toGray(raster, WORK_MAX_SIDE), source, options);
}

/**
 * Decodes a PNG or JPEG and preprocesses it (see preprocess), never holding more than
 * DECODE_MEMORY_BYTES for the decoding (decodeImageToGray). Throws only ImageError for bad input.
 *
 * @example
 * const { pixels } = imageToMnist(new Uint8Array(await req.arrayBuffer()), { contentType: req.headers.get('content-type') });
 */
export function imageToMnist(bytes: Uint8Array | ArrayBuffer, options: DecodeOptions & PreprocessOptions = {}): MnistDigit {
  const decoded = decodeImageToGray(bytes, WORK_MAX_SIDE, options);
  const digit = preprocessReduced(decoded.gray, decoded, options);
  digit.info.format = decoded.format;
  return digit;
}

/** preprocess from the gray working image (toGray to WORK_MAX_SIDE) of a source of the given size and orientation. */
function preprocessReduced(reduced: GrayImage, source: { width: number; height: number; orientation: Orientation }, options: PreprocessOptions): MnistDigit {
  const work = applyOrientation(reduced, source.orientation);
  const turned = source.orientation >= 5;
  const width = turned ? source.height : source.width;
  const height = turned ? source.width : source.height;
  const scale = width / work.width; // input pixels per working pixel
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of work.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo < MIN_UNIFORM_RANGE) {
    throw new ImageError('no_digit', `no digit found: the image is uniform (every pixel within ${(hi - lo).toFixed(3)} of gray level ${lo.toFixed(3)})`);
  }
  const polarity = detectPolarity(work);
  const inkMap = new Float32Array(work.data.length);
  for (let i = 0; i < inkMap.length; i++) inkMap[i] = polarity === 'dark-on-light' ? 1 - work.data[i] : work.data[i];
  const ink = { width: work.width, height: work.height, data: inkMap };
  if (work.width === MNIST_SIDE && work.height === MNIST_SIDE && options.keepMnistGeometry !== false) {
    return passthrough(ink, polarity, width, height);
  }

  const digit = findDigit(ink);
  const found = inkBounds(digit.ink);
  let box = found;
  let side = Math.max(box.width, box.height);
  let strokeWidth = digit.strokeWidth;
  let thickenedBy = 0;
  if ((strokeWidth * MNIST_BOX) / side < MIN_STROKE) {
    // Thicken by rho on each side so that (w + 2 rho) / (side + 2 rho) = MNIST_STROKE / MNIST_BOX.
    const target = MNIST_STROKE / MNIST_BOX;
    thickenedBy = (target * side - strokeWidth) / (2 * (1 - target));
    const { data } = digit.ink;
    for (let i = 0; i < data.length; i++) {
      const grown = thickenedBy + 0.5 - digit.distance[i];
      if (grown > data[i]) data[i] = grown >= 1 ? 1 : grown;
    }
    strokeWidth += 2 * thickenedBy;
    box = inkBounds(digit.ink);
    side = Math.max(box.width, box.height);
  }
  const fitted = fitToBox(digit.ink, box, MNIST_BOX);
  const pixels = centreByMass(fitted);
  return {
    pixels,
    gray8: toBytes(pixels),
    info: {
      width,
      height,
      polarity,
      passthrough: false,
      box: {
        x: Math.round((digit.roi.x + found.x) * scale),
        y: Math.round((digit.roi.y + found.y) * scale),
        width: Math.round(found.width * scale),
        height: Math.round(found.height * scale),
      },
      strokeWidth: (strokeWidth * MNIST_BOX) / side,
      thickenedBy,
      contrast: digit.contrast,
      noise: digit.noise,
      components: { kept: digit.kept, dropped: digit.dropped },
    },
  };
}

/** Gray levels closer than this (on 0..1) everywhere: a uniform image. */
const MIN_UNIFORM_RANGE = 0.02;

/**
 * A 28 x 28 input keeps its geometry and its values, ink high. Only a clearly lit background
 * (median over 0.1, as from a photo) is taken down to 0 and the ink stretched back to 1.
 */
function passthrough(ink: GrayImage, polarity: Polarity, width: number, height: number): MnistDigit {
  const h = new Histogram(0, 1, 1024).addAll(ink.data);
  const level = h.quantile(0.5);
  const top = h.quantile(1);
  if (top - level < 0.15) {
    throw new ImageError('no_digit', `no digit found: the 28 x 28 image has no ink standing out from its background (${(top - level).toFixed(3)})`);
  }
  const pixels = new Float32Array(PIXELS);
  const stretch = level > 0.1;
  for (let i = 0; i < pixels.length; i++) {
    const v = stretch ? (ink.data[i] - level) / (top - level) : ink.data[i];
    pixels[i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
  }
  const box = inkBounds({ width: MNIST_SIDE, height: MNIST_SIDE, data: pixels });
  return {
    pixels,
    gray8: toBytes(pixels),
    info: {
      width,
      height,
      polarity,
      passthrough: true,
      box,
      strokeWidth: NaN,
      thickenedBy: 0,
      contrast: top - level,
      noise: 0,
      components: { kept: 0, dropped: 0 },
    },
  };
}

/** The box of pixels holding visible ink (over 8%: fainter is anti-aliasing or ringing), in the image's pixels. */
function inkBounds(img: GrayImage): { x: number; y: number; width: number; height: number } {
  let minX = img.width;
  let maxX = -1;
  let minY = img.height;
  let maxY = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x] <= 0.08) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (maxX < 0) return { x: 0, y: 0, width: img.width, height: img.height };
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/**
 * Places a fitted digit in 28 x 28 so its centre of mass lands on MNIST_CENTRE, moving by whole
 * pixels as MNIST did (a fractional move would blur it), and never pushing ink off the field.
 */
export function centreByMass(digit: GrayImage): Float32Array {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < digit.height; y++) {
    for (let x = 0; x < digit.width; x++) {
      const v = digit.data[y * digit.width + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const cx = mass > 0 ? mx / mass : (digit.width - 1) / 2;
  const cy = mass > 0 ? my / mass : (digit.height - 1) / 2;
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round(MNIST_CENTRE - cx), MNIST_SIDE - digit.width);
  const oy = clamp(Math.round(MNIST_CENTRE - cy), MNIST_SIDE - digit.height);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < digit.height; y++) {
    for (let x = 0; x < digit.width; x++) {
      const v = digit.data[y * digit.width + x];
      out[(y + oy) * MNIST_SIDE + x + ox] = v <= 0 ? 0 : v >= 1 ? 1 : v;
    }
  }
  return out;
}

function toBytes(pixels: Float32Array): Uint8Array {
  return Uint8Array.from(pixels, (v) => Math.round(v * 255));
}
