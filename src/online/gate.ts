import { confusion } from '../nn/metrics.ts';
import type { Network } from '../nn/network.ts';

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

export interface GateTolerance {
  /** How far the candidate's holdout accuracy may fall below its parent's (a fraction, e.g. 0.002). */
  overall: number;
  /** How far any single class may fall (catches labels poisoned for one digit). */
  perClass: number;
}

export const DEFAULT_TOLERANCE: GateTolerance = { overall: 0.002, perClass: 0.02 };

export async function scoreHoldout(net: Network, holdout: Holdout): Promise<HoldoutScore> {
  const c = confusion(await net.predict(holdout.x), holdout.labels, 10);
  return { accuracy: c.accuracy, perClass: c.perClassAccuracy };
}

/**
 * The holdout gate: a candidate may replace its parent only if it is not worse on the holdout
 * by more than the tolerance, overall and for every class.
 */
export function gate(candidate: HoldoutScore, parent: HoldoutScore, tol: GateTolerance = DEFAULT_TOLERANCE): { accepted: boolean; reason: string } {
  const pts = (v: number) => `${(100 * v).toFixed(2)}%`;
  if (candidate.accuracy < parent.accuracy - tol.overall) {
    return { accepted: false, reason: `holdout accuracy ${pts(candidate.accuracy)} fell more than ${pts(tol.overall)} below the current ${pts(parent.accuracy)}` };
  }
  for (let c = 0; c < candidate.perClass.length; c++) {
    const a = candidate.perClass[c];
    const b = parent.perClass[c];
    if (Number.isFinite(a) && Number.isFinite(b) && a < b - tol.perClass) {
      return { accepted: false, reason: `holdout accuracy on digit ${c} fell from ${pts(b)} to ${pts(a)} (more than ${pts(tol.perClass)})` };
    }
  }
  return { accepted: true, reason: `holdout accuracy ${pts(candidate.accuracy)} against the current ${pts(parent.accuracy)}` };
}
