import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { fit, oneHot, type Dataset } from '../../../src/nn/train.ts';

const spec: NetworkSpec = { input: [3], layers: [{ type: 'dense', units: 2 }, { type: 'activation', fn: 'softmax' }] };
const net = () => new Network(spec, { backend: new CpuBackend('float64'), seed: 1 });
// 32 examples whose inputs are all 1: an augmentation's mark shows in every value a batch holds.
const data: Dataset = { n: 32, x: new Float32Array(32 * 3).fill(1), y: oneHot(Uint8Array.from({ length: 32 }, (_, i) => i % 2), 2) };

/** A value of each batch after augmentation, epoch by epoch (the targets hook runs right after augmenting; 2 batches an epoch). */
async function seen(options: Partial<Parameters<typeof fit>[2]>): Promise<number[][]> {
  const values: number[] = [];
  await fit(net(), data, { loss: 'xent', lr: 0.1, batchSize: 16, epochs: 4, ...options, targets: (x) => { values.push(x[0]); } });
  return [0, 2, 4, 6].map((i) => values.slice(i, i + 2));
}

describe('a final augmentation for the last epochs', () => {
  it('the last epochs see the final augmentation, the others the main one', async () => {
    const fill = (k: number) => (x: Float32Array) => { x.fill(k); };
    const got = await seen({ augment: fill(7), finalAugment: { epochs: 1, augment: fill(2) } });
    expect(got).toEqual([[7, 7], [7, 7], [7, 7], [2, 2]]);
  });

  it('without a final augmentation the last epochs see the digits as they are', async () => {
    const got = await seen({ augment: (x) => { x.fill(7); }, finalAugment: { epochs: 2 } });
    expect(got).toEqual([[7, 7], [7, 7], [1, 1], [1, 1]]);
  });

  it('refuses a final phase of no epochs or longer than training', async () => {
    for (const epochs of [0, 5, 1.5]) {
      await expect(fit(net(), data, { loss: 'xent', lr: 0.1, batchSize: 16, epochs: 4, finalAugment: { epochs } })).rejects.toThrow(/final augmentation needs 1 to 4 epochs/);
    }
  });
});
