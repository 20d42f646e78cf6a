/** A labelled digit as online learning keeps it: 784 pixels as bytes (ink high), and its class. */
export interface Example {
  pixels: Uint8Array;
  label: number;
}

export const PIXELS = 784;
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
