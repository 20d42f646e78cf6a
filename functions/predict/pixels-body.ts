import * as v from 'valibot';
import { PIXELS } from '../limits.ts';

/**
 * The JSON body of /v1/predict: exactly 784 finite numbers in [0, 1], a 28 x 28 image row-major
 * with ink high (MNIST's convention). Unknown keys are refused so that a typo is named, not ignored.
 * Valibot, not zod: the Worker that predicts names what is wrong with a body without loading zod
 * (pixels.ts), and the document describes it from this schema (spec.ts). Valibot's objects take
 * arrays: pixels.ts refuses a JSON array before.
 */
export const PixelsBody = v.strictObject(
  {
    pixels: v.pipe(
      v.array(
        v.pipe(
          v.number((i) => `expected number, received ${i.received}`),
          v.minValue(0, (i) => `expected a number >= 0, received ${i.received}`),
          v.maxValue(1, (i) => `expected a number <= 1, received ${i.received}`),
        ),
        (i) => `expected an array of ${PIXELS} numbers, received ${i.received}`,
      ),
      v.length(PIXELS, (i) => `expected ${PIXELS} numbers, received ${i.received}`),
      v.description("a 28 x 28 image, row-major, ink high (MNIST's convention)"),
    ),
  },
  (i) => (i.expected === 'never' ? 'unknown key' : i.path?.length ? 'required' : `expected an object, received ${i.received}`),
);
