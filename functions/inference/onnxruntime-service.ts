import type { OnnxProbe } from '../../src/models/check.ts';

/**
 * What the onnxruntime Worker (functions/onnxruntime/) offers over its service binding, `ONNXRUNTIME`.
 * onnxruntime-web lives in a Worker of its own so that the main Worker's isolates start without its
 * 14 MB of WebAssembly (workerd's start cost grows with a script's bytes); the core (src/nn) answers
 * by default, and what needs onnxruntime calls this (about a millisecond a call on one machine).
 */
export interface OnnxRuntimeService extends OnnxProbe {
  /**
   * Creates the session of a model version (keyed `name@version#sha256`) if the service holds none
   * yet. Throws when onnxruntime cannot load the bytes.
   */
  load(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Runs a loaded version on `examples` inputs (one after another in `input`): their outputs one
   * after another, or `unloaded` when the service does not hold that version (a fresh isolate of
   * it): then `load` and run again.
   */
  run(key: string, input: Float32Array, examples: number): Promise<Float32Array | { unloaded: true }>;
  // probe (OnnxProbe): what verifies an uploaded or trained model (src/models/check.ts).
}
