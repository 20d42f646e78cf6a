import type * as Ort from 'onnxruntime-web';
import type { ModelVersion } from '../models/model.ts';
import type { Engine } from './engine.ts';

/** onnxruntime-web's API, already set up for the runtime it runs in (see ort-runtime.ts). */
export type OrtApi = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

/**
 * onnxruntime-web's WASM backend as an inference engine: one InferenceSession per model version.
 * The input is shaped [1, ...the model's input shape] ([1, 784] or [1, 1, 28, 28]).
 *
 * @example
 * const engine = await createOrtEngine(ort, model);
 * const probabilities = await engine.predict(pixels);
 */
export async function createOrtEngine(ort: OrtApi, model: ModelVersion): Promise<Engine> {
  const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all' });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const dims = [1, ...model.inputShape];
  return {
    kind: 'onnxruntime',
    async predict(x) {
      const result = await session.run({ [input]: new ort.Tensor('float32', x, dims) });
      const y = result[output];
      const data = y.data as Float32Array;
      y.dispose();
      return data;
    },
  };
}
