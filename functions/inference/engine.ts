/** Which implementation computed an answer (the predict answer names it). */
export type EngineKind = 'core' | 'onnxruntime';

/**
 * A model version loaded for inference: `examples` inputs one after another in (one by default),
 * their output rows one after another out (for the digits models: 10 softmax probabilities each).
 */
export interface Engine {
  readonly kind: EngineKind;
  predict(input: Float32Array, examples?: number): Promise<Float32Array>;
}
