import { ApiError } from '../http/errors.ts';

/**
 * What a client may ask /v1/predict to add to its answer, by `?include=...` (repeated or
 * comma-separated). `input`: the 784 pixels the model saw, after any image preprocessing, in
 * [0, 1], row-major 28 x 28, ink high: what the page shows and sends back with a correction.
 */
export const INCLUDABLE = ['input'] as const;
export type Includable = (typeof INCLUDABLE)[number];

/**
 * The parts a request's `include` values name; an unknown part is a 400 that names it, so that a
 * typo is not silently ignored.
 *
 * @example
 * parseInclude(['input']); // Set { 'input' }
 */
export function parseInclude(values: readonly string[]): Set<Includable> {
  const parts = new Set<Includable>();
  for (const value of values) {
    for (const raw of value.split(',')) {
      const part = raw.trim();
      if (!part) continue;
      if (!(INCLUDABLE as readonly string[]).includes(part)) {
        throw new ApiError(400, 'invalid_query', `include may name ${INCLUDABLE.map((p) => `"${p}"`).join(', ')}; "${part}" is not one of them`);
      }
      parts.add(part as Includable);
    }
  }
  return parts;
}
