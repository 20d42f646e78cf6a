import { describeOnnx } from '../models/model.ts';
import type { OnnxRuntimeService } from './onnxruntime-service.ts';
import type { OrtApi } from './ort-engine.ts';
import { OrtSessions } from './ort-sessions.ts';

/**
 * The onnxruntime service over an onnxruntime API in this process: what the onnxruntime Worker
 * serves over RPC (functions/onnxruntime/index.ts), and what Node scripts and tests use directly
 * (onnxruntime-node or onnxruntime-web).
 *
 * @example
 * const runtime = new LocalOnnxRuntime(() => ort);
 * await checkModel(runtime, bytes);
 */
export class LocalOnnxRuntime implements OnnxRuntimeService {
  private readonly sessions: OrtSessions;

  constructor(private readonly ort: () => OrtApi) {
    this.sessions = new OrtSessions(ort);
  }

  async load(key: string, bytes: Uint8Array): Promise<void> {
    await this.sessions.load(key, bytes, describeOnnx(bytes).inputShape);
  }

  async run(key: string, input: Float32Array, examples: number): Promise<Float32Array | { unloaded: true }> {
    const engine = this.sessions.get(key);
    if (!engine) return { unloaded: true };
    return (await engine).predict(input, examples);
  }

  async probe(bytes: Uint8Array, input: Float32Array, inputShape: number[]): Promise<{ output: Float32Array } | { failed: 'load' | 'run'; message: string }> {
    const ort = this.ort();
    let session: Awaited<ReturnType<OrtApi['InferenceSession']['create']>>;
    try {
      session = await ort.InferenceSession.create(bytes);
    } catch (e) {
      return { failed: 'load', message: (e as Error).message };
    }
    try {
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, ...inputShape]) });
      return { output: Float32Array.from(result[session.outputNames[0]].data as Float32Array) };
    } catch (e) {
      return { failed: 'run', message: (e as Error).message };
    } finally {
      await session.release();
    }
  }
}
