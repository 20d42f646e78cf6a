import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// The page in a real browser: Debian's Chromium (apt-get install chromium) driven by playwright-core
// against `wrangler dev` on 127.0.0.1. `npm run test:browser`.
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    // One browser and one server on a small machine: files one after another.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
