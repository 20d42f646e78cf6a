import type { StateReadBack } from './readback.ts';

/** Whether every delivery the Worker accepted (202) was applied, once, with all its examples. */
export interface ExactlyOnceReport {
  deliveriesAccepted: number;
  examplesAccepted: number;
  deliveriesApplied: number;
  examplesApplied: number;
  /** Accepted, but the trainer has no record of applying them. */
  lost: string[];
  examplesLost: number;
  /** Recorded with another number of examples than was accepted. */
  examplesMismatched: string[];
  /** Applied, but never accepted by the Worker (a refused request must leave no trace). */
  unexpected: string[];
  /** Named by more than one published version, or by more than one gate decision (a round): applied twice. */
  appliedTwice: string[];
  /** Accepted, applied, but named by no decision the watcher saw. */
  notInAnyDecision: string[];
  /** The trainer's applied counter against its records. */
  appliedCounter: number;
  rounds: number;
  versions: number;
}

/**
 * Checks `accepted` (delivery -> examples, from the 202 answers) against what the trainer recorded
 * in its storage, the versions of the manifest, and the gate decisions seen while running.
 *
 * @example
 * const report = checkExactlyOnce(accepted, await readBackState(state), watch.deliveryCounts());
 */
export function checkExactlyOnce(accepted: Map<string, number>, back: StateReadBack, decisionCounts: Map<string, number>, roundsSeen: number): ExactlyOnceReport {
  const lost: string[] = [];
  const examplesMismatched: string[] = [];
  let examplesApplied = 0;
  let examplesLost = 0;
  for (const [id, n] of accepted) {
    const record = back.applied.get(id);
    if (!record) {
      lost.push(id);
      examplesLost += n;
      continue;
    }
    examplesApplied += record.examples;
    if (record.examples !== n) {
      examplesMismatched.push(`${id}: accepted ${n}, applied ${record.examples}`);
      examplesLost += Math.max(0, n - record.examples);
    }
  }
  const inVersions = new Map<string, number>();
  // Every version ever published: the manifest's and the archived ones (a promoted archived version is listed in both: counted once).
  const versions = new Map([...back.archived.flatMap((p) => p.versions), ...(back.manifest?.versions ?? [])].map((v) => [v.version, v]));
  for (const v of versions.values()) for (const d of v.deliveries) inVersions.set(d, (inVersions.get(d) ?? 0) + 1);
  const twice = new Set<string>();
  for (const [id, n] of inVersions) if (n > 1) twice.add(id);
  for (const [id, n] of decisionCounts) if (n > 1) twice.add(id);
  return {
    deliveriesAccepted: accepted.size,
    examplesAccepted: [...accepted.values()].reduce((a, b) => a + b, 0),
    deliveriesApplied: accepted.size - lost.length,
    examplesApplied,
    lost,
    examplesLost,
    examplesMismatched,
    unexpected: [...back.applied.keys()].filter((id) => !accepted.has(id)),
    appliedTwice: [...twice],
    notInAnyDecision: [...accepted.keys()].filter((id) => back.applied.has(id) && !decisionCounts.has(id)),
    appliedCounter: back.appliedCount,
    rounds: roundsSeen,
    versions: versions.size,
  };
}
