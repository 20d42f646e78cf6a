import type { Backend } from '../../src/nn/backend/backend.ts';
import { importOnnx } from '../../src/onnx/import.ts';
import { answersOf, DEFAULT_GATE, judge, scoreOf, type GatePolicy, type GateVerdict, type Holdout } from '../../src/online/index.ts';

/** What an uploaded model is measured against: the version being served, with its bytes. */
export interface Served {
  version: string;
  bytes: Uint8Array;
}

/** The verdict on an upload, with both accuracies on the anchor holdout. */
export interface UploadVerdict extends GateVerdict {
  holdoutAccuracy: number;
  currentHoldoutAccuracy: number;
}

/**
 * Scores an uploaded model on the anchor holdout against the version being served, with the
 * online gate's own test (src/online judge: exact McNemar on the changed answers, overall and per
 * digit): `accepted: false` means it is significantly worse, and is not made current unless the
 * admin insists.
 *
 * @example
 * const verdict = await judgeUpload(bytes, { version: 'v3', bytes: current }, holdout, backend);
 */
export async function judgeUpload(bytes: Uint8Array, served: Served, holdout: Holdout, backend: () => Promise<Backend>, policy: GatePolicy = DEFAULT_GATE): Promise<UploadVerdict> {
  const answers = async (b: Uint8Array) => answersOf((await importOnnx(b, { backend: await backend() })).network, holdout.x, holdout.labels);
  const [candidate, current] = [await answers(bytes), await answers(served.bytes)];
  const verdict = judge([{ set: 'anchor', against: 'parent', version: served.version, labels: holdout.labels, reference: current.predicted, candidate: candidate.predicted }], policy);
  return { ...verdict, holdoutAccuracy: scoreOf(candidate).accuracy, currentHoldoutAccuracy: scoreOf(current).accuracy };
}
