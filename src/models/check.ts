import { PIXELS } from '../image/mnist.ts';
import { importOnnx } from '../onnx/import.ts';
import { describeOnnx } from './describe.ts';

/** The result of one probe: the output, or which step failed and why. */
export type ProbeResult = { output: Float32Array } | { failed: 'load' | 'run'; message: string };

/**
 * What checkModel needs of onnxruntime: one run of a model on one input, in a session of its own.
 * In the Worker that is the onnxruntime Worker over its service binding; in Node, probeWith over
 * onnxruntime-node or onnxruntime-web.
 */
export interface OnnxProbe {
  /** Loads bytes in a session of their own and runs them once on `input` (one example); the session is released. */
  probe(bytes: Uint8Array, input: Float32Array, inputShape: number[]): Promise<ProbeResult>;
}

/** What probeWith needs of an onnxruntime in this process: a session from bytes, and float32 tensors. */
export interface OnnxRuntime {
  InferenceSession: { create(bytes: Uint8Array): Promise<OnnxSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, never>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

/**
 * Probes with an onnxruntime in this process (what the onnxruntime Worker runs, and what Node
 * scripts and tests use directly).
 *
 * @example
 * await checkModel(probeWith(ort), bytes); // ort: onnxruntime-node
 */
export function probeWith(ort: OnnxRuntime): OnnxProbe {
  return {
    async probe(bytes, input, inputShape) {
      let session: OnnxSession;
      try {
        session = await ort.InferenceSession.create(bytes);
      } catch (e) {
        return { failed: 'load', message: (e as Error).message };
      }
      try {
        const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, ...inputShape]) as never });
        return { output: Float32Array.from(result[session.outputNames[0]].data as Float32Array) };
      } catch (e) {
        return { failed: 'run', message: (e as Error).message };
      } finally {
        await session.release();
      }
    },
  };
}

/** Classes a served model must output: the ten digits. */
export const OUTPUTS = 10;

/** How far onnxruntime's and the core's outputs may differ for one input (float32 rounding). */
const AGREEMENT = 1e-4;

/**
 * Proves that ONNX bytes can become a served and trainable version: the file parses, takes the 784
 * pixels of one image ([784] or [1, 28, 28]), loads in onnxruntime (the engine that will serve it),
 * answers 10 finite numbers, and imports into the core (which online training fine-tunes) with the
 * same answer. Throws an Error naming the first check that failed.
 *
 * @example
 * await checkModel(env.ONNXRUNTIME, bytes); // the registry's `verify`
 */
export async function checkModel(ort: OnnxProbe, bytes: Uint8Array): Promise<void> {
  let inputShape: number[];
  try {
    inputShape = describeOnnx(bytes).inputShape;
  } catch (e) {
    throw new Error(`not an ONNX model: ${(e as Error).message}`);
  }
  if (inputShape.some((d) => !(d >= 1)) || inputShape.reduce((a, d) => a * d, 1) !== PIXELS) {
    throw new Error(`the model takes input [${inputShape}]; it must take the ${PIXELS} pixels of one image ([${PIXELS}] or [1, 28, 28])`);
  }
  const probe = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) probe[i] = ((i * 37) % 101) / 100; // any fixed input with some ink

  const probed = await ort.probe(bytes, probe, inputShape);
  if ('failed' in probed) {
    throw new Error(probed.failed === 'load' ? `it does not load in onnxruntime: ${probed.message}` : `onnxruntime cannot run it on one image: ${probed.message}`);
  }
  const fromOrt = probed.output;
  if (fromOrt.length !== OUTPUTS || !fromOrt.every(Number.isFinite)) {
    throw new Error(`it answers ${fromOrt.length} values${fromOrt.every(Number.isFinite) ? '' : ' (not all finite)'}; a digits model answers ${OUTPUTS}`);
  }

  let fromCore: Float32Array;
  try {
    const { network } = await importOnnx(bytes);
    fromCore = await network.predict(probe, 1);
  } catch (e) {
    throw new Error(`the core cannot import it, so online training could not fine-tune it: ${(e as Error).message}`);
  }
  const gap = Math.max(...fromOrt.map((v, i) => Math.abs(v - fromCore[i])));
  if (!(gap <= AGREEMENT)) throw new Error(`the core's import answers differently from onnxruntime (by ${gap.toExponential(2)})`);
}
