import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { createCpuBackend, createWasmBackend } from '../../../src/nn/backend/cpu/create.ts';
import { Heap } from '../../../src/nn/backend/cpu/heap.ts';
import { WasmBackend } from '../../../src/nn/backend/cpu/wasm-backend.ts';
import type { LayerSpec } from '../../../src/nn/layers/layer.ts';
import type { LossName } from '../../../src/nn/loss.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import type { OptimizerName } from '../../../src/nn/optimizers/optimizer.ts';
import { mlp } from '../../../src/nn/presets.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { evaluate, oneHot, Trainer } from '../../../src/nn/train.ts';
import { KERNEL_DIR } from '../../../scripts/lib/build-wasm.ts';
import { nodeWasmBackend, readKernels } from '../../../scripts/lib/wasm-kernels.ts';

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i])));
  return worst;
}

describe('the heap in WASM memory', () => {
  it('hands out aligned, zeroed, disjoint blocks, reuses and merges freed ones, and grows the memory', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Heap(memory, 1000);
    const a = heap.alloc(10);
    const b = heap.alloc(100);
    const c = heap.alloc(64);
    expect([a % 64, b % 64, c % 64]).toEqual([0, 0, 0]);
    expect(b).toBeGreaterThanOrEqual(a + 10);
    expect(c).toBeGreaterThanOrEqual(b + 100);
    new Uint8Array(memory.buffer, b, 100).fill(7);
    heap.free(b);
    expect(heap.alloc(100)).toBe(b); // first fit
    expect(new Uint8Array(memory.buffer, b, 100).every((v) => v === 0)).toBe(true);
    heap.free(a);
    heap.free(b);
    expect(heap.alloc(150)).toBe(a); // a and b merged
    expect(() => heap.free(12345)).toThrow(/not a live block/);
    const big = heap.alloc(200_000); // past the first 64 KiB page
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 200_000);
  });

  it('clears reused blocks, and fresh ones unless the memory is known to be zero', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(memory.buffer).fill(9); // somebody wrote here before
    const dirty = new Heap(memory, 1024);
    const p = dirty.alloc(100);
    expect(new Uint8Array(memory.buffer, p, 100).every((v) => v === 0)).toBe(true);
    const fresh = new WebAssembly.Memory({ initial: 1 });
    const heap = new Heap(fresh, 1024, undefined, true);
    const q = heap.alloc(100);
    new Uint8Array(fresh.buffer, q, 100).fill(5);
    heap.free(q);
    const r = heap.alloc(64);
    expect(r).toBe(q);
    expect(new Uint8Array(fresh.buffer, r, 64).every((v) => v === 0)).toBe(true);
  });

  it('a fixed range reports exhaustion instead of growing', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Heap(memory, 1024, 4096);
    heap.alloc(2000);
    expect(() => heap.alloc(2000)).toThrow(/out of memory in its range/);
  });

  it('tensors keep their values when the memory grows under them (views are re-made)', async () => {
    const B = await nodeWasmBackend({ variant: 'simd' });
    const t = B.tensor([3], [1, 2, 3]);
    const before = B.memory.buffer.byteLength;
    const big = B.tensor([8 << 20]); // 32 MiB: forces growth
    expect(B.memory.buffer.byteLength).toBeGreaterThan(before);
    expect([...(await B.read(t))]).toEqual([1, 2, 3]);
    B.dispose(big);
  });
});

describe('createCpuBackend', () => {
  const bytes = readKernels('simd');

  it('accepts the kernels as bytes or as a compiled module (what a Worker import gives)', async () => {
    const fromBytes = await createCpuBackend({ wasm: bytes });
    const fromModule = await createCpuBackend({ wasm: new WebAssembly.Module(bytes) });
    for (const B of [fromBytes, fromModule]) {
      expect(B).toBeInstanceOf(WasmBackend);
      const a = B.tensor([2, 2], [1, 2, 3, 4]);
      const c = B.tensor([2, 2]);
      B.matmul(a, a, c, false, false, false);
      expect([...(await B.read(c))]).toEqual([7, 10, 15, 22]);
    }
  });

  it('float64, or no kernels, is the TypeScript reference', async () => {
    expect((await createCpuBackend({ wasm: bytes, dtype: 'float64' })).dtype).toBe('float64');
    expect(await createCpuBackend()).toBeInstanceOf(CpuBackend);
    expect(await createCpuBackend()).not.toBeInstanceOf(WasmBackend);
  });

  it('says clearly when the kernels and the memory disagree about sharing', async () => {
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    await expect(createWasmBackend({ wasm: bytes, memory: shared })).rejects.toThrow(/instantiate|shar/);
    const sharedBuild = readFileSync(join(KERNEL_DIR, 'nn-simd-shared.wasm'));
    await expect(createWasmBackend({ wasm: sharedBuild, memory: new WebAssembly.Memory({ initial: 1 }) })).rejects.toThrow(/instantiate|shar/);
    await expect(createWasmBackend({ wasm: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/cannot instantiate/);
  });

  it('rejects tensors of another backend', async () => {
    const B = await nodeWasmBackend({ variant: 'simd' });
    const other = new CpuBackend('float32').tensor([2, 2]);
    expect(() => B.matmul(other, other, other, false, false, false)).toThrow(/another backend/);
  });
});

const dense = (units: number): LayerSpec => ({ type: 'dense', units });
const act = (fn: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ type: 'activation', fn });

describe('a training step through the WASM backend equals the reference (float32)', () => {
  const cases: Array<{ name: string; spec: NetworkSpec; loss: LossName; optimizer: OptimizerName; lr: number; targets?: 'binary' }> = [
    { name: "the article's 784-800-10 sigmoid network, momentum", spec: mlp([784, 800, 10]), loss: 'xent', optimizer: 'momentum', lr: 0.1 },
    { name: 'tanh and relu layers, squared error, SGD', spec: { input: [17], layers: [dense(63), act('tanh'), dense(65), act('relu'), dense(3), act('softmax')] }, loss: 'mse', optimizer: 'sgd', lr: 0.5 },
    { name: 'multi-label sigmoid outputs, dropout, Adam', spec: { input: [33], layers: [dense(40), act('relu'), { type: 'dropout', rate: 0.3 }, dense(5), act('sigmoid')] }, loss: 'xent', optimizer: 'adam', lr: 0.01, targets: 'binary' },
    {
      name: 'convolution, max pooling, batch norm, average pooling, flatten, masked dense',
      spec: {
        input: [2, 11, 11],
        layers: [
          { type: 'conv2d', filters: 5, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, act('relu'),
          { type: 'maxpool', size: 2 },
          { type: 'conv2d', filters: 3, kernel: 2, stride: 2, padding: 1 }, act('tanh'),
          { type: 'avgpool', size: 2 }, { type: 'flatten' },
          { type: 'dense', units: 4, mask: Array.from({ length: 4 * 3 }, (_, i) => (i % 5 ? 1 : 0)) }, act('softmax'),
        ],
      },
      loss: 'xent', optimizer: 'momentum', lr: 0.05,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const W = await nodeWasmBackend({ variant: 'simd' });
      const ref = new Network(c.spec, { backend: new CpuBackend('float32'), seed: 4 });
      const fast = new Network(c.spec, { backend: W, seed: 4 });
      const tr = new Trainer(ref, { loss: c.loss, optimizer: c.optimizer });
      const tf = new Trainer(fast, { loss: c.loss, optimizer: c.optimizer });
      const rng = new Rng(9);
      const n = 13;
      const k = ref.outputSize;
      for (let step = 0; step < 3; step++) {
        const x = Float32Array.from({ length: n * ref.inputSize }, () => rng.uniform());
        const t = c.targets === 'binary'
          ? Float32Array.from({ length: n * k }, () => rng.int(2))
          : oneHot(Array.from({ length: n }, () => rng.int(k)), k);
        tr.stepHost(x, t, n, c.lr);
        tf.stepHost(x, t, n, c.lr);
      }
      const [wr, wf] = [await ref.weights(), await fast.weights()];
      expect(wf.map((w) => w.name)).toEqual(wr.map((w) => w.name));
      wr.forEach((w, i) => expect(maxRelDiff(wf[i].data, w.data), w.name).toBeLessThan(2e-3));
      const [dr, df] = [await tr.drain(), await tf.drain()];
      expect(df.loss).toBeCloseTo(dr.loss, 4);
      expect(df.accuracy).toBe(dr.accuracy);
      // Inference mode too (running batch-norm statistics, no dropout).
      const probe = Float32Array.from({ length: 7 * ref.inputSize }, () => rng.uniform());
      expect(maxRelDiff(await fast.predict(probe), await ref.predict(probe))).toBeLessThan(2e-3);
      const data = { n: 7, x: probe, y: oneHot([0, 1, 2, 0, 1, 2, 0], k) };
      const [er, ef] = [await evaluate(ref, data, c.loss), await evaluate(fast, data, c.loss)];
      expect(ef.loss).toBeCloseTo(er.loss, 4);
    });
  }
});
