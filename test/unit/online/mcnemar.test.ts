import { describe, expect, it } from 'vitest';
import { binomialTailHalf, mcnemar, pairedCounts } from '../../../src/online/mcnemar.ts';

/** A second implementation: P(X >= k) for Binomial(n, 1/2) as an exact fraction in BigInt, then divided. */
function exactTail(k: number, n: number): number {
  let sum = 0n;
  let choose = 1n; // C(n, 0)
  for (let j = 0; j <= n; j++) {
    if (j >= k) sum += choose;
    choose = (choose * BigInt(n - j)) / BigInt(j + 1);
  }
  // The exact integer to the nearest double, over a power of two (exact for n <= 1023).
  return Number(sum) / 2 ** n;
}

describe('the exact one-sided binomial tail at 1/2 (McNemar)', () => {
  it('matches values worked by hand', () => {
    expect(binomialTailHalf(5, 5)).toBe(1 / 32); // all five changes went one way
    expect(binomialTailHalf(3, 4)).toBeCloseTo(5 / 16, 15); // (C(4,3) + C(4,4)) / 16
    expect(binomialTailHalf(7, 10)).toBeCloseTo(176 / 1024, 15); // (120 + 45 + 10 + 1) / 1024
    expect(binomialTailHalf(10, 10)).toBe(1 / 1024);
    expect(binomialTailHalf(0, 0)).toBe(1); // no changed answer: no evidence at all
    expect(binomialTailHalf(0, 9)).toBe(1);
    expect(binomialTailHalf(1, 1)).toBe(0.5);
    expect(binomialTailHalf(11, 10)).toBe(0);
  });

  it('agrees with an exact BigInt fraction for every k up to n = 60, and at the holdout\'s scale', () => {
    for (let n = 0; n <= 60; n++) {
      for (let k = 0; k <= n; k++) {
        const want = exactTail(k, n);
        const got = binomialTailHalf(k, n);
        expect(Math.abs(got - want), `k=${k} n=${n}`).toBeLessThanOrEqual(1e-12 * Math.max(want, 1e-300) + 1e-15);
      }
    }
    for (const [k, n] of [[520, 1000], [600, 1000], [700, 1000], [80, 100], [30, 31]]) {
      const want = exactTail(k, n);
      expect(binomialTailHalf(k, n) / want, `k=${k} n=${n}`).toBeCloseTo(1, 9);
    }
  });

  it('the test rejects only when p < alpha; counts must be possible', () => {
    expect(mcnemar({ n: 100, b: 6, c: 0 }, 0.05)).toEqual({ n: 100, b: 6, c: 0, p: 1 / 64, alpha: 0.05, worse: true });
    expect(mcnemar({ n: 100, b: 5, c: 0 }, 0.01).worse).toBe(false); // 1/32 > 0.01: five changes cannot make it
    expect(mcnemar({ n: 1000, b: 20, c: 25 }, 0.01).worse).toBe(false); // more got better than worse
    expect(() => mcnemar({ n: 5, b: 4, c: 2 }, 0.01)).toThrow(/b \+ c <= n/);
    expect(() => mcnemar({ n: 5, b: 1, c: 0 }, 0)).toThrow(/alpha/);
  });

  it('the false-rejection rate of a candidate no better, no worse, is at most alpha (exactly, over every b + c)', () => {
    // Under the null (each changed answer equally likely either way), P(reject) = P(p < alpha) = P(X >= k*) <= alpha.
    for (const alpha of [0.05, 0.01, 0.001]) {
      for (let m = 1; m <= 200; m++) {
        let rejected = 0;
        for (let b = 0; b <= m; b++) if (binomialTailHalf(b, m) < alpha) rejected += exactTail(b, m) - exactTail(b + 1, m);
        expect(rejected, `alpha ${alpha}, ${m} changed answers`).toBeLessThanOrEqual(alpha);
      }
    }
  });

  it('counts b and c over all images or a chosen subset', () => {
    const labels = [0, 1, 1, 2, 2, 2];
    const parent = [0, 1, 0, 2, 2, 1]; // right, right, wrong, right, right, wrong
    const candidate = [0, 7, 1, 2, 9, 9]; // right, wrong, right, right, wrong, wrong
    expect(pairedCounts(labels, parent, candidate)).toEqual({ n: 6, b: 2, c: 1 });
    expect(pairedCounts(labels, parent, candidate, (i) => labels[i] === 1)).toEqual({ n: 2, b: 1, c: 1 });
    expect(pairedCounts(labels, parent, candidate, (i) => labels[i] === 2)).toEqual({ n: 3, b: 1, c: 0 });
    expect(() => pairedCounts(labels, parent.slice(1), candidate)).toThrow(/same images/);
  });
});
