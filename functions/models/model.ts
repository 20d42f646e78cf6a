import { META_SPEC, META_WEIGHTS_SHA256 } from '../../src/onnx/export.ts';
import { parseModel } from '../../src/onnx/import.ts';
import { valueShape } from '../../src/onnx/proto.ts';

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

/** A model version ready to be loaded into an engine. */
export interface ModelVersion extends ModelInfo {
  bytes: Uint8Array<ArrayBuffer>;
  /** The input of one example, without the batch dimension: [784] or [1, 28, 28]. */
  inputShape: number[];
}

/**
 * The model card kept beside a bundled model (models/<name>.json, scripts/lib/model-card.ts). Only
 * the numbers of its `metrics` are read here.
 */
export interface ModelCard {
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The model's per-example input shape and its metadata_props, read from the ONNX envelope
 * (about a millisecond for a 2.5 MB model: weights are not decoded).
 *
 * @example
 * describeOnnx(bytes); // { inputShape: [784], metadata: { 'nutshell.test_accuracy': '0.9383', ... } }
 */
export function describeOnnx(bytes: Uint8Array): { inputShape: number[]; metadata: Record<string, string> } {
  const model = parseModel(bytes);
  const graph = model.graph!;
  const initialised = new Set(graph.initializer.map((t) => t.name));
  const input = graph.input.find((v) => !initialised.has(v.name));
  if (!input) throw new Error('the model has no graph input');
  return {
    inputShape: valueShape(input).shape.slice(1),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
  };
}

/**
 * Numeric figures from the exporter's metadata (`nutshell.test_accuracy` -> `testAccuracy`, the
 * model card's and the registry's spelling), overridden by the card's numeric `metrics`.
 *
 * @example
 * metricsOf({ 'nutshell.test_accuracy': '0.9383' }); // { testAccuracy: 0.9383 }
 */
export function metricsOf(metadata: Record<string, string>, card?: ModelCard): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith('nutshell.') || key === META_SPEC || key === META_WEIGHTS_SHA256) continue;
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) metrics[camelCase(key.slice('nutshell.'.length))] = n;
  }
  for (const [key, value] of Object.entries(card?.metrics ?? {})) {
    if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value;
  }
  return metrics;
}

/** Checks that a model takes the 784 pixels of one image, as [784] or [1, 28, 28] (or [28, 28]). */
export function checkTakesPixels(model: Pick<ModelVersion, 'name' | 'version' | 'inputShape'>, pixels: number): void {
  const size = model.inputShape.reduce((a, d) => a * d, 1);
  if (model.inputShape.some((d) => d < 1) || size !== pixels) {
    throw new Error(`model ${model.name}@${model.version} takes input [${model.inputShape}], not ${pixels} pixels`);
  }
}

function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
