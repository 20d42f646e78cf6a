import { defineConfig } from 'vitest/config';

// The WebGPU backend against the CPU backend, in Node through Dawn. Without a GPU (CI, this
// machine) Dawn's OpenGL ES backend runs the kernels on Mesa llvmpipe, which needs the Debian
// packages libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri. One file at a time: llvmpipe already
// uses every core.
export default defineConfig({
  test: {
    include: ['test/gpu/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    env: { EGL_PLATFORM: 'surfaceless', NUTSHELL_WEBGPU_SOFTWARE: '1' },
  },
});
