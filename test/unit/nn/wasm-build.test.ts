import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BUILDS, buildKernels, KERNEL_DIR } from '../../../scripts/lib/build-wasm.ts';
import { kernelFile } from '../../../src/nn/backend/cpu/wasm-kernels.ts';

// The .wasm files are committed so that a fresh clone (and a Worker bundle) runs without a build
// step; this keeps them honest: a kernel source changed without `npm run build:wasm` fails here.
it('the committed WASM kernels are exactly what the AssemblyScript sources compile to', async () => {
  const built = await buildKernels();
  expect([...built.keys()].sort()).toEqual(BUILDS.map((b) => kernelFile(b.variant, b.shared)).sort());
  for (const [name, bytes] of built) {
    const committed = new Uint8Array(readFileSync(join(KERNEL_DIR, name)));
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(committed)), `${name} is stale: run npm run build:wasm`).toBe(0);
  }
}, 180_000);
