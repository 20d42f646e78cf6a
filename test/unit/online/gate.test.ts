import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/nn/rng.ts';
import { judge, scoreOf, type Comparison } from '../../../src/online/gate.ts';

/** 100 images of each digit; the reference right on all but `wrong` of each. */
function set(wrong = 2) {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100));
  const reference = Uint8Array.from(labels, (l, i) => (i % 100 < wrong ? (l + 1) % 10 : l));
  return { labels, reference };
}
const cmp = (labels: Uint8Array, reference: Uint8Array, candidate: Uint8Array, over: Partial<Comparison> = {}): Comparison =>
  ({ set: 'anchor', against: 'parent', version: 'v4', labels, reference, candidate, ...over });

describe('the statistical gate', () => {
  it('accepts a candidate that changed a few answers each way, and says so with its figures', () => {
    const { labels, reference } = set();
    const candidate = reference.slice();
    // 6 answers fixed (c), 4 broken (b) across several digits.
    for (const i of [0, 100, 200, 300, 400, 500]) candidate[i] = labels[i];
    for (const i of [650, 750, 850, 950]) candidate[i] = (labels[i] + 3) % 10;
    const verdict = judge([cmp(labels, reference, candidate)]);
    expect(verdict.accepted).toBe(true);
    expect(verdict.checks[0]).toMatchObject({ scope: 'all', n: 1000, b: 4, c: 6, worse: false });
    expect(verdict.checks[0].p).toBeCloseTo(848 / 1024, 12); // P(X >= 4 | 10) = (210+252+210+120+45+10+1) / 1024
    expect(verdict.reason).toMatch(/not significantly worse.*4 right to wrong, 6 wrong to right/);
  });

  it('refuses a flood of one wrong label through the per-digit test even when the overall test would pass', () => {
    const { labels, reference } = set(5);
    const candidate = reference.slice();
    // 12 sevens now wrong; 25 other answers fixed elsewhere, so overall more got better than worse.
    let broken = 0;
    for (let i = 705; broken < 12; i++, broken++) candidate[i] = 1;
    let fixed = 0;
    for (let i = 0; fixed < 25; i++) if (labels[i] !== 7 && candidate[i] !== labels[i]) (candidate[i] = labels[i], fixed++);
    const verdict = judge([cmp(labels, reference, candidate)], { alpha: 0.01 });
    expect(verdict.accepted).toBe(false);
    const failed = verdict.checks[0];
    expect(failed).toMatchObject({ scope: 7, n: 100, b: 12, c: 0, alpha: 0.001, worse: true });
    expect(failed.p).toBe(2 ** -12);
    expect(verdict.reason).toBe(
      'significantly worse than v4 on the 100 images of digit 7 in the anchor holdout: 12 answers went from right to wrong and 0 from wrong to right ' +
      '(McNemar exact, one-sided (binomial on the changed answers): p = 2.4e-4 < 0.001)',
    );
    // The overall test alone would not have refused it: 12 worse, 25 better.
    expect(verdict.checks.find((c) => c.scope === 'all')).toMatchObject({ b: 12, c: 25, worse: false });
  });

  it('the per-digit tests share alpha (Bonferroni): 10 changes one way in one digit are p = 1/1024, below 0.01 / 10', () => {
    const { labels, reference } = set(5);
    const nine = reference.slice();
    for (let i = 305; i < 314; i++) nine[i] = 8;
    // Ten answers fixed in other digits: overall, 9 worse and 10 better is no evidence.
    for (const d of [0, 1, 2, 4, 5]) for (const i of [d * 100, d * 100 + 1]) nine[i] = labels[i];
    expect(judge([cmp(labels, reference, nine)]).accepted).toBe(true); // 2^-9 = 0.00195 > 0.001
    const ten = nine.slice();
    ten[314] = 8;
    expect(judge([cmp(labels, reference, ten)]).accepted).toBe(false); // 2^-10 = 0.000977 < 0.001
  });

  it('names the reference: the offline ancestor, the origin of a split round, the validation share; skips an empty set', () => {
    const { labels, reference } = set(0);
    const worse = reference.slice();
    for (let i = 0; i < 10; i++) worse[i * 100] = (labels[i * 100] + 1) % 10;
    const offline = judge([cmp(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), { set: 'validation' }), cmp(labels, reference, worse, { against: 'offline', version: 'v1' })]);
    expect(offline.accepted).toBe(false);
    expect(offline.reason).toMatch(/^significantly worse than its offline ancestor v1 on the 1000 images of the anchor holdout: 10 answers/);
    const origin = judge([cmp(labels, reference, worse, { against: 'origin', version: 'v7' })]);
    expect(origin.reason).toMatch(/v7, which the rejected round it comes from started from/);
    const share = judge([cmp(labels.slice(0, 10), reference.slice(0, 10), worse.slice(0, 10), { set: 'validation' })]);
    expect(share.reason).toMatch(/the validation share of accepted deliveries/);
  });

  it('over many candidates no better and no worse, each family refuses about alpha of them or fewer', () => {
    // Candidates whose changed answers go either way by a fair coin: the null hypothesis at its boundary.
    const { labels, reference } = set(10);
    const right = [...labels.keys()].filter((i) => reference[i] === labels[i]);
    const wrong = [...labels.keys()].filter((i) => reference[i] !== labels[i]);
    const rng = new Rng(11);
    let refused = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const candidate = reference.slice();
      for (let k = 0; k < 40; k++) {
        // Each changed answer is a break (b) or a fix (c) with equal odds.
        if (rng.uniform() < 0.5) {
          const i = right[rng.int(right.length)];
          candidate[i] = (labels[i] + 1) % 10;
        } else {
          const i = wrong[rng.int(wrong.length)];
          candidate[i] = labels[i];
        }
      }
      if (!judge([cmp(labels, reference, candidate)], { alpha: 0.05 }).accepted) refused++;
    }
    // Two families (overall, per digit) at 0.05 each: at most 0.1 in all; the discrete test keeps it lower.
    expect(refused / trials).toBeLessThan(0.1);
  });

  it('scores accuracy overall and per class from answers', () => {
    const labels = Uint8Array.from([0, 0, 1, 1, 1]);
    expect(scoreOf({ labels, predicted: Uint8Array.from([0, 1, 1, 1, 0]) })).toEqual({
      accuracy: 3 / 5, perClass: [0.5, 2 / 3, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN],
    });
  });
});
