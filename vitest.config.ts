import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Node-side tests: the core, the ONNX bridge, images, data, scripts.
// The Worker's tests run inside workerd: see test/worker/vitest.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    // Vitest's default (one file per core but one) runs the files one by one on 2 cores, while many
    // wait on child processes (tsx, wrangler, workerd): two at a time fill those cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
