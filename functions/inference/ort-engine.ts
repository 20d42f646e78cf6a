import type * as Ort from 'onnxruntime-web';
import type { ServedModel } from '../models/model.ts';
import type { Engine } from './engine.ts';

/** onnxruntime-web's API, already set up for the runtime it runs in (see ort-runtime.ts). */
export type OrtApi = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

/**
 * onnxruntime-web's WASM backend as an inference engine, inside the onnxruntime Worker
 * (functions/onnxruntime/): one InferenceSession per model version.
 * The input is shaped [examples, ...the model's input shape] ([n, 784] or [n, 1, 28, 28]); a model
 * whose batch dimension is fixed (not symbolic) is run one example at a time.
 *
 * @example
 * const engine = await createOrtEngine(ort, model);
 * const probabilities = await engine.predict(pixels);
 */
export async function createOrtEngine(ort: OrtApi, model: Pick<ServedModel, 'bytes' | 'inputShape'>): Promise<Engine> {
  const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all' });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const meta = session.inputMetadata?.[0];
  const batches = !(meta?.isTensor && typeof meta.shape[0] === 'number');
  const size = model.inputShape.reduce((a, d) => a * d, 1);
  const run = async (x: Float32Array, n: number) => {
    const result = await session.run({ [input]: new ort.Tensor('float32', x, [n, ...model.inputShape]) });
    const y = result[output];
    const data = y.data as Float32Array;
    y.dispose();
    return data;
  };
  return {
    kind: 'onnxruntime',
    async predict(x, examples = 1) {
      if (examples === 1 || batches) return run(x, examples);
      const rows: Float32Array[] = [];
      for (let i = 0; i < examples; i++) rows.push(await run(x.subarray(i * size, (i + 1) * size), 1));
      const out = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
      rows.reduce((at, r) => (out.set(r, at), at + r.length), 0);
      return out;
    },
  };
}
