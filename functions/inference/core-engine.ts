import { importOnnx } from '../../src/onnx/import.ts';
import type { ServedModel } from '../models/model.ts';
import { parsedOf } from '../models/parsed.ts';
import type { Engine } from './engine.ts';
import type { Backend } from '../../src/nn/backend/backend.ts';

/**
 * Examples the core evaluates together. The network keeps an input tensor per batch size it has
 * seen, so batches are cut to at most this many: at most this many sizes are ever kept.
 */
const CORE_BATCH = 16;

/**
 * The backprop core as an inference engine: the same ONNX bytes imported into a `Network` and
 * evaluated on the core's WASM kernels in the Worker (a 20 KB module, not onnxruntime's 14 MB), so
 * it answers a fresh isolate's first prediction quickly; its outputs match onnxruntime's to float32 rounding (test/worker/engines.test.ts).
 *
 * @example
 * const engine = await createCoreEngine(model);
 * const probabilities = await engine.predict(pixels);
 */
export async function createCoreEngine(model: ServedModel, backend?: Backend): Promise<Engine> {
  const { network } = await importOnnx(parsedOf(model.bytes) ?? model.bytes, { backend });
  return {
    kind: 'core',
    predict: (input, examples = 1) => network.predict(input, Math.min(examples, CORE_BATCH)),
  };
}
