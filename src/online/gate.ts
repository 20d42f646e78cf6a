import { argmax } from '../nn/metrics.ts';
import type { Network } from '../nn/network.ts';
import { CLASSES } from './example.ts';
import { mcnemar, pairedCounts, type PairedTest } from './mcnemar.ts';

/** A fixed set of labelled digits the online trainer never learns from. */
export interface Holdout {
  n: number;
  /** n x 784 in [0, 1]. */
  x: Float32Array;
  labels: Uint8Array;
}

export interface HoldoutScore {
  accuracy: number;
  perClass: number[];
}

/** A model's answers (the class it ranks first) on a labelled set, image by image. */
export interface Answers {
  labels: Uint8Array;
  predicted: Uint8Array;
}

/**
 * How strict the gate is. Each family of tests (one set against one reference: the overall test,
 * or the ten per-class tests together) wrongly rejects a candidate that is truly no worse at most
 * `alpha` of the time; the per-class tests share it (Bonferroni: alpha / 10 each).
 */
export interface GatePolicy {
  alpha: number;
}

/**
 * 1%: a correct delivery is refused by one family at most 1 time in 100, while a flood of one
 * wrong label (100 sevens labelled 1) moves tens of holdout answers of that digit and gives
 * p-values below 1e-6.
 */
export const DEFAULT_GATE: GatePolicy = { alpha: 0.01 };

/** The name of the test, as decisions record it. */
export const GATE_TEST = 'McNemar exact, one-sided (binomial on the changed answers)';

/** One comparison the gate makes: a set of images, a reference model's answers and the candidate's. */
export interface Comparison {
  /** `anchor`: the fixed holdout; `validation`: the held-out share of the users' accepted data. */
  set: 'anchor' | 'validation';
  /**
   * `parent`: the version the candidate was trained from; `offline`: its nearest offline ancestor
   * (the drift guard: small accepted losses cannot add up); `origin`: for the half of a rejected
   * round, the version that round was trained from (the halves together may not do what the whole
   * was refused for).
   */
  against: 'parent' | 'offline' | 'origin';
  /** The reference's version name, for the reason. */
  version: string;
  labels: Uint8Array;
  reference: Uint8Array;
  candidate: Uint8Array;
}

/** One test the gate ran, as a decision records it. */
export interface GateCheck extends PairedTest {
  set: Comparison['set'];
  against: Comparison['against'];
  version: string;
  /** `all` images of the set, or one digit's. */
  scope: 'all' | number;
}

export interface GateVerdict {
  accepted: boolean;
  reason: string;
  /** Per comparison: the overall test and the per-class test with the smallest p-value; the failed one first. */
  checks: GateCheck[];
}

/**
 * The statistical gate: the candidate is refused when, on any comparison, it is significantly
 * worse than the reference (exact McNemar, one-sided, at `alpha`) over all images or over the
 * images of one digit (at alpha / 10). The per-class tests catch what the overall one averages
 * away: many answers of one digit turned wrong (a flood of one wrong label, a backdoor's target).
 * A set with no images (an empty validation share) is skipped.
 *
 * @example
 * judge([{ set: 'anchor', against: 'parent', version: 'v3', labels, reference, candidate }]);
 * // { accepted: false, reason: 'worse than v3 on the anchor holdout for digit 7: ...', checks: [...] }
 */
export function judge(comparisons: readonly Comparison[], policy: GatePolicy = DEFAULT_GATE): GateVerdict {
  const checks: GateCheck[] = [];
  let failed: GateCheck | null = null;
  const summaries: string[] = [];
  for (const cmp of comparisons) {
    if (!cmp.labels.length) continue;
    const overall = check(cmp, 'all', policy.alpha);
    const perClass = classesIn(cmp.labels).map((k) => check(cmp, k, policy.alpha / CLASSES));
    const worstClass = perClass.reduce<GateCheck | null>((w, t) => (!w || t.p < w.p ? t : w), null);
    const worse = [overall, ...perClass].filter((t) => t.worse).sort((a, b) => a.p - b.p)[0];
    if (worse && !failed) failed = worse;
    checks.push(overall);
    if (worstClass) checks.push(worstClass);
    summaries.push(`${setName(cmp)} against ${cmp.version} (${overall.n} images): ${overall.b} right to wrong, ${overall.c} wrong to right, p = ${pValue(overall.p)}${worstClass ? `; lowest per digit p = ${pValue(worstClass.p)} (digit ${worstClass.scope})` : ''}`);
  }
  if (failed) {
    const first = checks.indexOf(failed);
    if (first < 0) checks.unshift(failed);
    else checks.unshift(...checks.splice(first, 1));
    return { accepted: false, reason: worseReason(failed), checks };
  }
  return { accepted: true, reason: `not significantly worse (${GATE_TEST}, alpha ${policy.alpha}): ${summaries.join('; ') || 'nothing to compare'}`, checks };
}

/** The class of the largest output, per example: a network's answers on a set. */
export async function answersOf(net: Network, x: Float32Array, labels: Uint8Array): Promise<Answers> {
  const out = await net.predict(x);
  const k = net.outputSize;
  const predicted = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) predicted[i] = argmax(out, i * k, k);
  return { labels, predicted };
}

/** Accuracy overall and per class, from answers. */
export function scoreOf(a: Answers): HoldoutScore {
  const right = new Array<number>(CLASSES).fill(0);
  const total = new Array<number>(CLASSES).fill(0);
  a.labels.forEach((label, i) => {
    total[label]++;
    if (a.predicted[i] === label) right[label]++;
  });
  const correct = right.reduce((x, y) => x + y, 0);
  return { accuracy: a.labels.length ? correct / a.labels.length : NaN, perClass: right.map((r, k) => (total[k] ? r / total[k] : NaN)) };
}

/** A network's score on the holdout. */
export async function scoreHoldout(net: Network, holdout: Holdout): Promise<HoldoutScore> {
  return scoreOf(await answersOf(net, holdout.x, holdout.labels));
}

function check(cmp: Comparison, scope: 'all' | number, alpha: number): GateCheck {
  const include = scope === 'all' ? undefined : (i: number) => cmp.labels[i] === scope;
  const test = mcnemar(pairedCounts(cmp.labels, cmp.reference, cmp.candidate, include), alpha);
  return { set: cmp.set, against: cmp.against, version: cmp.version, scope, ...test };
}

function worseReason(t: GateCheck): string {
  const where = t.scope === 'all' ? `the ${t.n} images of ${setName(t)}` : `the ${t.n} images of digit ${t.scope} in ${setName(t)}`;
  const ref = t.against === 'offline' ? `its offline ancestor ${t.version}` : t.against === 'origin' ? `${t.version}, which the rejected round it comes from started from` : `${t.version}`;
  return `significantly worse than ${ref} on ${where}: ${t.b} answers went from right to wrong and ${t.c} from wrong to right ` +
    `(${GATE_TEST}: p = ${pValue(t.p)} < ${t.alpha})`;
}

function setName(t: { set: Comparison['set'] }): string {
  return t.set === 'anchor' ? 'the anchor holdout' : 'the validation share of accepted deliveries';
}

function pValue(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

function classesIn(labels: Uint8Array): number[] {
  const seen = new Set<number>(labels);
  return [...seen].sort((a, b) => a - b);
}
