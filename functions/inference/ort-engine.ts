import type * as Ort from 'onnxruntime-web';
import type { ServedModel } from '../models/model.ts';
import type { Engine } from './engine.ts';

/** onnxruntime-web's API, already set up for the runtime it runs in (see ort-runtime.ts). */
export type OrtApi = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

/** A prediction asked of an engine whose session was released (evicted): load the model again. */
export class EngineReleasedError extends Error {
  constructor() {
    super('this onnxruntime session was released');
    this.name = 'EngineReleasedError';
  }
}

/**
 * onnxruntime-web's WASM backend as an inference engine, inside the onnxruntime Worker
 * (functions/onnxruntime/): one InferenceSession per model version.
 * The input is shaped [examples, ...the model's input shape] ([n, 784] or [n, 1, 28, 28]); a model
 * whose batch dimension is fixed (not symbolic) is run one example at a time. `release()` frees
 * the session's memory in onnxruntime's wasm heap (which garbage collection never returns) once
 * the runs in flight are done; a prediction asked after it throws EngineReleasedError.
 *
 * @example
 * const engine = await createOrtEngine(ort, model);
 * const probabilities = await engine.predict(pixels);
 */
export async function createOrtEngine(ort: OrtApi, model: Pick<ServedModel, 'bytes' | 'inputShape'>): Promise<Engine & { release(): Promise<void> }> {
  const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all' });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const meta = session.inputMetadata?.[0];
  const batches = !(meta?.isTensor && typeof meta.shape[0] === 'number');
  const size = model.inputShape.reduce((a, d) => a * d, 1);
  // Predictions in flight, so that release() frees the session's memory only once none uses it.
  let running = 0;
  let released = false;
  let idle: (() => void) | null = null;
  const run = async (x: Float32Array, n: number) => {
    const result = await session.run({ [input]: new ort.Tensor('float32', x, [n, ...model.inputShape]) });
    const y = result[output];
    const data = y.data as Float32Array;
    y.dispose();
    return data;
  };
  const predict = async (x: Float32Array, examples: number) => {
    if (examples === 1 || batches) return run(x, examples);
    const rows: Float32Array[] = [];
    for (let i = 0; i < examples; i++) rows.push(await run(x.subarray(i * size, (i + 1) * size), 1));
    const out = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
    rows.reduce((at, r) => (out.set(r, at), at + r.length), 0);
    return out;
  };
  return {
    kind: 'onnxruntime',
    async release() {
      if (released) return;
      released = true;
      if (running) await new Promise<void>((resolve) => (idle = resolve));
      await session.release();
    },
    async predict(x, examples = 1) {
      if (released) throw new EngineReleasedError();
      running++;
      try {
        return await predict(x, examples);
      } finally {
        if (--running === 0) idle?.();
      }
    },
  };
}
