/**
 * The exact McNemar test of two classifiers on the same images: only the images whose answer
 * changed carry information. With b images the reference got right and the candidate wrong, and c
 * the reverse, "the candidate is no worse" means a changed answer is at least as likely to be a
 * c as a b; at the boundary b given b + c is Binomial(b + c, 1/2), so the one-sided p-value is
 * P(X >= b). Rejecting when p < alpha wrongly rejects a candidate that is truly no worse at most
 * alpha of the time (less, since the binomial is discrete).
 */

/** One paired comparison on a set of images. */
export interface PairedTest {
  /** Images compared. */
  n: number;
  /** Reference right, candidate wrong. */
  b: number;
  /** Reference wrong, candidate right. */
  c: number;
  /** One-sided exact p-value of b given b + c at 1/2: P(X >= b). */
  p: number;
  alpha: number;
  /** p < alpha: the candidate is significantly worse. */
  worse: boolean;
}

/**
 * P(X >= k) for X ~ Binomial(n, 1/2), summed over the shorter tail (by symmetry) from its far end,
 * each term from the last by C(n, j - 1) = C(n, j) * j / (n - j + 1): exact for the small counts
 * a test usually sees (1/32 is 1/32), and to about 1e-13 relative at a thousand changed answers.
 * Beyond 1,000 (where 2^-n nears the smallest double) the terms are summed in log space.
 *
 * @example
 * binomialTailHalf(5, 5); // 1/32 = 0.03125
 * binomialTailHalf(0, 7); // 1
 */
export function binomialTailHalf(k: number, n: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0) throw new Error(`binomialTailHalf needs integers with n >= 0, got k=${k}, n=${n}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  // P(X >= k) = 1 - P(X >= n - k + 1): sum whichever tail is shorter.
  return k > n / 2 ? upperTail(k, n) : Math.max(0, 1 - upperTail(n - k + 1, n));
}

/** sum over j = from..n of C(n, j) / 2^n. */
function upperTail(from: number, n: number): number {
  let sum = 0;
  if (n <= 1000) {
    let term = 2 ** -n;
    for (let j = n; j >= from; j--) {
      sum += term;
      term *= j / (n - j + 1);
    }
  } else {
    for (let j = from; j <= n; j++) sum += Math.exp(logChoose(n, j) - n * Math.LN2);
  }
  return Math.min(1, sum);
}

/**
 * The one-sided exact McNemar test for b and c.
 *
 * @example
 * mcnemar({ n: 100, b: 6, c: 0 }, 0.05); // { p: 0.015625, worse: true, ... }
 */
export function mcnemar(counts: { n: number; b: number; c: number }, alpha: number): PairedTest {
  const { n, b, c } = counts;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
  if (![n, b, c].every((v) => Number.isInteger(v) && v >= 0) || b + c > n) throw new Error(`paired counts must be whole, b + c <= n; got n=${n}, b=${b}, c=${c}`);
  const p = binomialTailHalf(b, b + c);
  return { n, b, c, p, alpha, worse: p < alpha };
}

/**
 * Counts b and c for a reference and a candidate that answered the same images, optionally only
 * over the images `include` picks (e.g. one class).
 *
 * @example
 * pairedCounts(labels, parentAnswers, candidateAnswers, (i) => labels[i] === 7);
 */
export function pairedCounts(
  labels: ArrayLike<number>, reference: ArrayLike<number>, candidate: ArrayLike<number>, include?: (i: number) => boolean,
): { n: number; b: number; c: number } {
  if (reference.length !== labels.length || candidate.length !== labels.length) {
    throw new Error(`paired answers must cover the same images: ${labels.length} labels, ${reference.length} and ${candidate.length} answers`);
  }
  let n = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < labels.length; i++) {
    if (include && !include(i)) continue;
    n++;
    const r = reference[i] === labels[i];
    const k = candidate[i] === labels[i];
    if (r && !k) b++;
    else if (k && !r) c++;
  }
  return { n, b, c };
}

/** ln C(n, k) by sums of logarithms, cached per n up to the largest seen. */
function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1] + Math.log(i));
  return logFactorials[n];
}
