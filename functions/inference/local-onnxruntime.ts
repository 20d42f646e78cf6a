import { probeWith, type ProbeResult } from '../../src/models/check.ts';
import { describeOnnx } from '../../src/models/describe.ts';
import type { OnnxRuntimeService } from './onnxruntime-service.ts';
import { EngineReleasedError, type OrtApi } from './ort-engine.ts';
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

  /** `keep`: how many sessions stay loaded (OrtSessions). */
  constructor(private readonly ort: () => OrtApi, keep?: number) {
    this.sessions = new OrtSessions(ort, keep);
  }

  async load(key: string, bytes: Uint8Array): Promise<void> {
    await this.sessions.load(key, bytes, describeOnnx(bytes).inputShape);
  }

  async run(key: string, input: Float32Array, examples: number): Promise<Float32Array | { unloaded: true }> {
    const engine = this.sessions.get(key);
    if (!engine) return { unloaded: true };
    try {
      return await (await engine).predict(input, examples);
    } catch (e) {
      // Evicted between the lookup and the run: the caller loads it again, as for any unloaded key.
      if (e instanceof EngineReleasedError) return { unloaded: true };
      throw e;
    }
  }

  probe(bytes: Uint8Array, input: Float32Array, inputShape: number[]): Promise<ProbeResult> {
    return probeWith(this.ort()).probe(bytes, input, inputShape);
  }
}
