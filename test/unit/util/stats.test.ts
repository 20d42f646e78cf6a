import { describe, expect, it } from 'vitest';
import { median } from '../../../src/util/stats.ts';

describe('median', () => {
  it('the middle value of an odd count, the mean of the two middle ones of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('NaN for no values; the sample keeps its order', () => {
    expect(median([])).toBeNaN();
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});
