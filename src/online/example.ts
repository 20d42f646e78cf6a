import { PIXELS } from '../image/mnist.ts';

/** A labelled digit as online learning keeps it: 784 pixels as bytes (ink high), and its class. */
export interface Example {
  pixels: Uint8Array;
  label: number;
}

export { PIXELS };
export const CLASSES = 10;

/** Floats in [0, 1] (a network input) to bytes, rounding as MNIST's own quantisation. */
export function toBytes(pixels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  return out;
}

/** Examples as a network batch: inputs in [0, 1] and one-hot targets. */
export function toBatch(examples: readonly Example[]): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(examples.length * PIXELS);
  const y = new Float32Array(examples.length * CLASSES);
  examples.forEach((e, i) => {
    for (let j = 0; j < PIXELS; j++) x[i * PIXELS + j] = e.pixels[j] / 255;
    y[i * CLASSES + e.label] = 1;
  });
  return { x, y };
}

/** Bytes of one packed example: its label, then its 784 pixels. */
export const RECORD_BYTES = 1 + PIXELS;

/**
 * Examples as one compact byte string (label, then 784 pixel bytes, per example): what a queue
 * message carries (100 examples are 78,500 bytes, well under a message's 128 KB).
 *
 * @example
 * const records = packExamples([{ label: 3, pixels }]); // 785 bytes
 * unpackExamples(records); // [{ label: 3, pixels }]
 */
export function packExamples(examples: readonly Example[]): Uint8Array {
  const out = new Uint8Array(examples.length * RECORD_BYTES);
  examples.forEach((e, i) => {
    if (e.pixels.length !== PIXELS || !Number.isInteger(e.label) || e.label < 0 || e.label >= CLASSES) {
      throw new Error(`example ${i} must have ${PIXELS} pixels and a label in 0..${CLASSES - 1}`);
    }
    out[i * RECORD_BYTES] = e.label;
    out.set(e.pixels, i * RECORD_BYTES + 1);
  });
  return out;
}

/** The inverse of packExamples; throws on a length or a label that cannot be one. */
export function unpackExamples(records: Uint8Array): Example[] {
  if (records.length % RECORD_BYTES !== 0) throw new Error(`packed examples take ${RECORD_BYTES} bytes each; got ${records.length} bytes`);
  const out: Example[] = [];
  for (let o = 0; o < records.length; o += RECORD_BYTES) {
    const label = records[o];
    if (label >= CLASSES) throw new Error(`packed example ${o / RECORD_BYTES} has label ${label}, not one of 0..${CLASSES - 1}`);
    out.push({ label, pixels: records.slice(o + 1, o + RECORD_BYTES) });
  }
  return out;
}
