/**
 * `npm run build:wasm`: rebuilds the WASM kernels of the CPU backend from
 * src/nn/backend/cpu/assembly into src/nn/backend/cpu/wasm (committed, so a fresh clone needs no
 * build step; test/unit/nn/wasm-build.test.ts fails when they are stale).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernels, KERNEL_DIR } from './lib/build-wasm.ts';

const builds = await buildKernels();
for (const [name, bytes] of builds) {
  writeFileSync(join(KERNEL_DIR, name), bytes);
  console.log(`${name}: ${bytes.length} bytes`);
}
