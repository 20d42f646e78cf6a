import { expect } from 'vitest';
import { createBackend } from '../../scripts/lib/device.ts';
import type { Backend, Tensor } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { Rng } from '../../src/nn/rng.ts';

/** Unit roundoff of float32. */
export const U = 2 ** -24;

/**
 * The WebGPU backend on whatever adapter Dawn finds (llvmpipe here and in CI). A missing adapter
 * fails the tests with the fallback's reason rather than skipping them.
 */
export async function gpuBackend(): Promise<WebGpuBackend> {
  const choice = await createBackend('gpu', { allowSoftware: true });
  if (choice.device !== 'gpu') throw new Error(`the GPU tests need a WebGPU adapter: ${choice.fallback}`);
  return choice.backend as WebGpuBackend;
}

/** Uniform values in [lo, hi), reproducible. */
export function random(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** The same tensor on both backends. */
export class Pair {
  constructor(
    readonly cpu: CpuBackend,
    readonly gpu: Backend,
  ) {}
  tensor(shape: number[], data?: ArrayLike<number>): { c: Tensor; g: Tensor } {
    return { c: this.cpu.tensor(shape, data), g: this.gpu.tensor(shape, data) };
  }
  async read(t: { c: Tensor; g: Tensor }): Promise<{ c: Float32Array; g: Float32Array }> {
    return { c: Float32Array.from(await this.cpu.read(t.c)), g: Float32Array.from(await this.gpu.read(t.g)) };
  }
}

export function pair(gpu: Backend): Pair {
  return new Pair(new CpuBackend('float32'), gpu);
}

/** max |g - c| / max |c|: the error relative to the tensor's scale. */
export function relError(g: ArrayLike<number>, c: ArrayLike<number>): number {
  expect(g.length).toBe(c.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < c.length; i++) {
    err = Math.max(err, Math.abs(g[i] - c[i]));
    scale = Math.max(scale, Math.abs(c[i]));
  }
  if (Number.isNaN(err)) return NaN;
  return err / Math.max(scale, 1e-30);
}

/** Every element within its own bound: |g - c| <= bound[i]. Reports the worst offender. */
export function expectWithinBound(g: ArrayLike<number>, c: ArrayLike<number>, bound: ArrayLike<number>): void {
  expect(g.length).toBe(c.length);
  let worst = -1;
  let ratio = 0;
  for (let i = 0; i < c.length; i++) {
    const e = Math.abs(g[i] - c[i]);
    if (!(e <= bound[i])) {
      const r = e / bound[i];
      if (worst < 0 || r > ratio || Number.isNaN(e)) [worst, ratio] = [i, r];
    }
  }
  if (worst >= 0) expect.fail(`element ${worst}: gpu ${g[worst]} vs cpu ${c[worst]}, bound ${bound[worst]}`);
}

export function expectExact(g: ArrayLike<number>, c: ArrayLike<number>): void {
  expect(Array.from(g)).toEqual(Array.from(c));
}

/** Element-wise absolute values (to build a.priori error bounds with the CPU backend). */
export function abs(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a, Math.abs);
}
