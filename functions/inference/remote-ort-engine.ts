import type { ServedModel } from '../models/model.ts';
import type { Engine } from './engine.ts';
import type { OnnxRuntimeService } from './onnxruntime-service.ts';

/**
 * onnxruntime as an engine of the main Worker: the version's session lives in the onnxruntime
 * Worker (functions/onnxruntime/), each prediction is one RPC call. Created once the session is
 * loaded there; if that Worker's isolate was replaced meanwhile, the bytes are sent again.
 *
 * @example
 * const engine = await createRemoteOrtEngine(env.ONNXRUNTIME, key, model);
 * const probabilities = await engine.predict(pixels);
 */
export async function createRemoteOrtEngine(service: OnnxRuntimeService, key: string, model: ServedModel): Promise<Engine> {
  await service.load(key, model.bytes);
  return {
    kind: 'onnxruntime',
    async predict(input, examples = 1) {
      let output = await service.run(key, input, examples);
      if (!(output instanceof Float32Array)) {
        await service.load(key, model.bytes);
        output = await service.run(key, input, examples);
        if (!(output instanceof Float32Array)) throw new Error(`the onnxruntime Worker did not keep ${key}`);
      }
      return output;
    },
  };
}
