import type { Rng } from '../nn/rng.ts';
import { blur, jpegArtefacts, noise } from './augment/capture.ts';
import { affineMap, ElasticField, identityMap, resample, shift, type GeometryOptions } from './augment/geometry.ts';
import { penWidth, PressureField } from './augment/pen.ts';

export { shift } from './augment/geometry.ts';
export { blur, jpegArtefacts, noise } from './augment/capture.ts';
export { penWidth, PressureField } from './augment/pen.ts';

/**
 * Data augmentation for images (the article's cure for overfitting by more data): every epoch
 * sees each training digit as another writer, pen and camera would have made it. Steps compose
 * with '+' (`affine+elastic+width`) and run in this order, whatever order they are named in:
 *
 * - shift: whole-pixel translation by up to `maxShift` pixels in each direction.
 * - affine: rotation, scale, shear and translation.
 * - aspect: the digit wider or narrower against its height (by up to `maxAspect`), in affine's transform.
 * - elastic: Simard, Steinkraus & Platt (2003): a random displacement field, uniform in [-1, 1],
 *   smoothed by a Gaussian of width sigma and scaled by alpha (the paper's sigma = 4, alpha = 34).
 *   With affine, both move the same sampling grid: one bilinear resampling.
 * - width: the pen thicker or thinner, a grey dilation or erosion mixed in by up to `maxWidth` or `maxThin`.
 * - pressure: the ink fading in smooth patches by up to `maxPressure`.
 * - blur: a Gaussian defocus of width up to `maxBlur` pixels.
 * - jpeg: JPEG's 8x8 DCT quantisation at a quality in `jpegQuality`.
 * - noise: Gaussian sensor noise of standard deviation up to `maxNoise`.
 * Steps after elastic apply to a random share of the images (`chance`), so clean digits stay in the mix.
 * Presets: `handwriting` (affine+aspect+elastic+width+pressure), `capture` (it, plus blur, jpeg and noise).
 */
export const AUGMENT_STEPS = ['shift', 'affine', 'aspect', 'elastic', 'width', 'pressure', 'blur', 'jpeg', 'noise'] as const;
export type AugmentStep = (typeof AUGMENT_STEPS)[number];
export const AUGMENT_PRESETS: Record<string, AugmentStep[]> = {
  none: [],
  handwriting: ['affine', 'aspect', 'elastic', 'width', 'pressure'],
  capture: ['affine', 'aspect', 'elastic', 'width', 'pressure', 'blur', 'jpeg', 'noise'],
};
/** A preset name or steps joined by '+', e.g. `elastic`, `affine+elastic+width`. */
export type AugmentKind = string;

export interface AugmentOptions extends Partial<GeometryOptions> {
  /** Thickening mixes in up to this much of a dilation, thinning up to `maxThin` of an erosion (MNIST strokes are 2-3 pixels: a full erosion would lose most). */
  maxWidth?: number;
  maxThin?: number;
  maxPressure?: number;
  maxBlur?: number;
  maxNoise?: number;
  jpegQuality?: [number, number];
  /** The share of images each of width, pressure, blur, jpeg and noise is applied to. */
  chance?: Partial<Record<'width' | 'pressure' | 'blur' | 'jpeg' | 'noise', number>>;
}

const DEFAULTS = {
  maxShift: 2, maxRotation: 12, maxScale: 0.1, maxAspect: 0.15, maxShear: 0.15, alpha: 34, sigma: 4,
  maxWidth: 1, maxThin: 0.5, maxPressure: 0.6, maxBlur: 1, maxNoise: 0.08, jpegQuality: [20, 90] as [number, number],
};
const CHANCE = { width: 0.7, pressure: 0.3, blur: 0.3, jpeg: 0.3, noise: 0.3 };

/**
 * The steps of an `--augment` value, in the order they run; throws on an unknown name.
 *
 * @example
 * parseAugment('elastic+affine') // ['affine', 'elastic']
 */
export function parseAugment(kind: AugmentKind): AugmentStep[] {
  const preset = AUGMENT_PRESETS[kind];
  if (preset) return [...preset];
  const names = kind.split('+');
  for (const n of names) {
    if (!(AUGMENT_STEPS as readonly string[]).includes(n)) {
      throw new Error(`unknown augmentation '${n}': use ${AUGMENT_STEPS.join(', ')} joined by '+', or a preset (${Object.keys(AUGMENT_PRESETS).join(', ')})`);
    }
  }
  return AUGMENT_STEPS.filter((s) => names.includes(s));
}

/**
 * A batch transform for `fit`'s `augment` option: transforms n images of width x height, stored
 * back to back in `x`, in place, drawing only from `rng` (the same seed gives the same images).
 *
 * @example
 * fit(net, data, { ..., augment: augmenter('affine+elastic+width', 28, 28) });
 */
export function augmenter(kind: AugmentKind, width: number, height: number, options: AugmentOptions = {}): ((x: Float32Array, n: number, rng: Rng) => void) | undefined {
  const steps = new Set(parseAugment(kind));
  if (!steps.size) return undefined;
  const o = { ...DEFAULTS, ...options };
  if (!steps.has('aspect')) o.maxAspect = 0;
  const geometric = steps.has('affine') || steps.has('aspect');
  // aspect alone: affine's transform with only the aspect free.
  const transform = steps.has('affine') ? o : { ...o, maxRotation: 0, maxScale: 0, maxShear: 0, maxShift: 0 };
  const chance = { ...CHANCE, ...options.chance };
  const per = width * height;
  const scratch = new Float32Array(per);
  const field = steps.has('elastic') ? new ElasticField(width, height, o.sigma) : null;
  const pressure = steps.has('pressure') ? new PressureField(width, height) : null;
  const map = new Float32Array(2 * per);
  const maybe = (step: keyof typeof CHANCE, rng: Rng) => steps.has(step) && rng.uniform() < chance[step];
  return (x, n, rng) => {
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * per, (i + 1) * per);
      if (steps.has('shift')) shift(img, scratch, width, height, rng.int(2 * o.maxShift + 1) - o.maxShift, rng.int(2 * o.maxShift + 1) - o.maxShift);
      if (geometric || field) {
        if (geometric) affineMap(map, width, height, transform, rng);
        else identityMap(map, width, height);
        if (field) field.add(map, o.alpha, rng);
        resample(img, scratch, map, width, height);
      }
      if (maybe('width', rng)) penWidth(img, scratch, width, height, -o.maxThin + rng.uniform() * (o.maxThin + o.maxWidth));
      if (maybe('pressure', rng)) pressure!.apply(img, rng.uniform() * o.maxPressure, rng);
      if (maybe('blur', rng)) blur(img, scratch, width, height, 0.3 + rng.uniform() * Math.max(0, o.maxBlur - 0.3));
      if (maybe('jpeg', rng)) jpegArtefacts(img, width, height, o.jpegQuality[0] + rng.uniform() * (o.jpegQuality[1] - o.jpegQuality[0]));
      if (maybe('noise', rng)) noise(img, rng.uniform() * o.maxNoise, rng);
    }
  };
}
