/** What the API says about a model version, without its bytes. */
export interface ModelInfo {
  name: string;
  version: string;
  /** Where it came from: the Worker's bundle, or the registry (trained offline and published, online, or a personal model's fork). */
  source: 'bundled' | 'offline' | 'online' | 'fork';
  /** sha256 of the .onnx file, lower-case hex. */
  sha256: string;
  /** Figures measured on held-out data, e.g. `{ testAccuracy: 0.9842 }`. */
  metrics: Record<string, number>;
}

/**
 * A version the Worker serves, ready to be loaded into an engine: its registry entry's (or the
 * bundle's) description, its bytes and its input shape. The registry's own record of a version is
 * src/registry's ModelVersion.
 */
export interface ServedModel extends ModelInfo {
  bytes: Uint8Array<ArrayBuffer>;
  /** The input of one example, without the batch dimension: [784] or [1, 28, 28]. */
  inputShape: number[];
}

/** Checks that a model takes the PIXELS pixels of one image, as [784] or [1, 28, 28] (or [28, 28]). */
export function checkTakesPixels(model: Pick<ServedModel, 'name' | 'version' | 'inputShape'>, pixels: number): void {
  const size = model.inputShape.reduce((a, d) => a * d, 1);
  if (model.inputShape.some((d) => d < 1) || size !== pixels) {
    throw new Error(`model ${model.name}@${model.version} takes input [${model.inputShape}], not ${pixels} pixels`);
  }
}
