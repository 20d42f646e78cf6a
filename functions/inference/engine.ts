/** Which implementation computed an answer (the predict answer names it). */
export type EngineKind = 'core' | 'onnxruntime';

/**
 * A model version loaded for inference: one example's input in, the output row out (for the
 * digits models: 10 softmax probabilities).
 */
export interface Engine {
  readonly kind: EngineKind;
  predict(input: Float32Array): Promise<Float32Array>;
}
