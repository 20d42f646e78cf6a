import { WorkerEntrypoint } from 'cloudflare:workers';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { LocalOnnxRuntime } from '../inference/local-onnxruntime.ts';
import type { OnnxRuntimeService } from '../inference/onnxruntime-service.ts';
import { useCompiledOrtWasm } from '../inference/ort-runtime.ts';

/** The sessions of this isolate, shared by its calls. */
const runtime = new LocalOnnxRuntime(() => useCompiledOrtWasm(ortWasm));

/**
 * The onnxruntime Worker: onnxruntime-web (WASM SIMD, one thread) behind RPC, reached by the main
 * Worker through its `ONNXRUNTIME` service binding (functions/inference/onnxruntime-service.ts).
 * It has no route of its own: HTTP gets 404.
 */
export default class OnnxRuntime extends WorkerEntrypoint implements OnnxRuntimeService {
  override async fetch(): Promise<Response> {
    return Response.json({ error: { code: 'not_found', message: 'this Worker answers RPC over a service binding only' } }, { status: 404 });
  }

  load(key: string, bytes: Uint8Array): Promise<void> {
    return runtime.load(key, bytes);
  }

  run(key: string, input: Float32Array, examples: number): Promise<Float32Array | { unloaded: true }> {
    return runtime.run(key, input, examples);
  }

  probe(bytes: Uint8Array, input: Float32Array, inputShape: number[]) {
    return runtime.probe(bytes, input, inputShape);
  }
}
