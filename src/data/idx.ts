/**
 * The IDX format of the MNIST files (LeCun et al.): a big-endian header (two zero bytes, a type
 * code, the number of dimensions, then each dimension as a uint32) followed by the values.
 * Only unsigned bytes (type 0x08) are accepted: that is what MNIST's images and labels are.
 */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export class IdxError extends Error {
  override name = 'IdxError';
}

/** Upper bound on values in one file (1 GiB), so a corrupt header cannot ask for absurd memory. */
const MAX_VALUES = 1 << 30;

/**
 * Parses an IDX file, validating the magic number, the dimension count and that the body holds
 * exactly the values the header promises.
 *
 * @example
 * const images = parseIdx(bytes); // shape [60000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, what = 'IDX file'): IdxArray {
  if (bytes.length < 4) throw new IdxError(`${what}: ${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new IdxError(`${what}: bad magic number (expected two zero bytes, got 0x${hex(bytes[0])}${hex(bytes[1])})`);
  if (bytes[2] !== 0x08) throw new IdxError(`${what}: unsupported value type 0x${hex(bytes[2])} (only unsigned bytes, 0x08)`);
  const dims = bytes[3];
  if (dims < 1 || dims > 4) throw new IdxError(`${what}: ${dims} dimensions is not a plausible IDX file (1 to 4)`);
  const header = 4 + 4 * dims;
  if (bytes.length < header) throw new IdxError(`${what}: truncated header (${bytes.length} of ${header} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < dims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new IdxError(`${what}: dimension ${i} is zero`);
    shape.push(d);
    count *= d;
    if (count > MAX_VALUES) throw new IdxError(`${what}: header claims more than ${MAX_VALUES} values`);
  }
  if (bytes.length !== header + count) {
    throw new IdxError(`${what}: header promises ${count} values [${shape.join('x')}] but the body has ${bytes.length - header}`);
  }
  return { shape, data: bytes.subarray(header) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** MNIST-style images and labels as network inputs: pixels scaled to [0, 1], ink high. */
export interface LabelledImages {
  n: number;
  width: number;
  height: number;
  /** n x width x height floats in [0, 1]. */
  pixels: Float32Array;
  labels: Uint8Array;
}

/** Pairs an IDX image file with its label file, checking that they belong together. */
export function labelledImages(imagesIdx: Uint8Array, labelsIdx: Uint8Array, classes = 10): LabelledImages {
  const images = parseIdx(imagesIdx, 'image file');
  const labels = parseIdx(labelsIdx, 'label file');
  if (images.shape.length !== 3) throw new IdxError(`image file: expected 3 dimensions [n, rows, cols], got [${images.shape}]`);
  if (labels.shape.length !== 1) throw new IdxError(`label file: expected 1 dimension [n], got [${labels.shape}]`);
  const [n, height, width] = images.shape;
  if (labels.shape[0] !== n) throw new IdxError(`image file has ${n} images but label file has ${labels.shape[0]} labels`);
  for (let i = 0; i < n; i++) {
    if (labels.data[i] >= classes) throw new IdxError(`label file: label ${labels.data[i]} at index ${i} is not a class in 0..${classes - 1}`);
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { n, width, height, pixels, labels: labels.data };
}
