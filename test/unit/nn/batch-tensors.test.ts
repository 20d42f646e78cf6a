import { describe, expect, it } from 'vitest';
import { BatchTensors } from '../../../src/nn/backend/batch-tensors.ts';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';

describe('BatchTensors', () => {
  it('one tensor per batch size, the same one every call', () => {
    const B = new CpuBackend('float32');
    const t = new BatchTensors(B, [2, 3]);
    const a = t.get(4);
    expect(a.shape).toEqual([4, 2, 3]);
    expect(t.get(4)).toBe(a);
    expect(t.get(1).shape).toEqual([1, 2, 3]);
    expect(t.get(1)).not.toBe(a);
  });

  it('dispose frees them all; a later get allocates a new one', () => {
    const B = new CpuBackend('float32');
    const freed: unknown[] = [];
    const dispose = B.dispose.bind(B);
    B.dispose = (x) => { freed.push(x); dispose(x); };
    const t = new BatchTensors(B, [10]);
    const [a, b] = [t.get(64), t.get(16)];
    t.dispose();
    expect(freed).toEqual([a, b]);
    expect(t.get(64)).not.toBe(a);
  });
});
