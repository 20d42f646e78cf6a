import { gunzip } from '../../src/data/gunzip.ts';
import { labelledImages, parseIdx } from '../../src/data/idx.ts';
import { PIXELS, type Example } from '../../src/online/example.ts';
import type { Holdout } from '../../src/online/gate.ts';

/** Gzipped IDX images and labels, as models/ holds them (holdout-*.idx.gz, replay-*.idx.gz). */
export interface IdxPair {
  images: ArrayBuffer | Uint8Array;
  labels: ArrayBuffer | Uint8Array;
}

/** Twice the 1,000 digits of a fixed set: a corrupt file cannot make gunzip allocate more. */
const MAX_SET_BYTES = 2 * 1000 * PIXELS + 1024;

/**
 * The gate's fixed yardstick: 100 digits of each class from the MNIST TEST set, never trained on.
 *
 * @example
 * const holdout = await readHoldout({ images: holdoutImages, labels: holdoutLabels });
 */
export async function readHoldout(set: IdxPair): Promise<Holdout> {
  const d = labelledImages(await gunzip(bytes(set.images), MAX_SET_BYTES), await gunzip(bytes(set.labels), MAX_SET_BYTES));
  if (d.width * d.height !== PIXELS) throw new Error(`holdout images are ${d.width} x ${d.height}, not 28 x 28`);
  return { n: d.n, x: d.pixels, labels: d.labels };
}

/** The replay buffer's first contents: 100 digits of each class from the MNIST TRAINING set, as bytes. */
export async function readExamples(set: IdxPair): Promise<Example[]> {
  const images = parseIdx(await gunzip(bytes(set.images), MAX_SET_BYTES), 'replay images');
  const labels = parseIdx(await gunzip(bytes(set.labels), MAX_SET_BYTES), 'replay labels');
  const n = labels.shape[0];
  if (images.data.length !== n * PIXELS) throw new Error(`replay set: ${n} labels but ${images.data.length} pixel bytes`);
  return Array.from({ length: n }, (_, i) => ({ label: labels.data[i], pixels: images.data.slice(i * PIXELS, (i + 1) * PIXELS) }));
}

function bytes(b: ArrayBuffer | Uint8Array): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}
