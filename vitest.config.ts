import { defineConfig } from 'vitest/config';

// Node-side tests: the core, the ONNX bridge, images, data, scripts.
// The Worker's tests run inside workerd: see test/worker/vitest.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
