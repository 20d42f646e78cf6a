import { META_SPEC, META_WEIGHTS_SHA256 } from '../onnx/metadata.ts';
import { parseModel } from '../onnx/import.ts';
import { valueShape } from '../onnx/proto.ts';
import type { OnnxModel } from '../onnx/wire.ts';
import type { ModelCard } from './card.ts';

/**
 * What metricsOf reads of a model card (card.ts ModelCard): the numbers of its `metrics`. Typed
 * loosely, as a card read from JSON is, whatever release wrote it.
 */
export type CardMetrics = { metrics?: ModelCard['metrics'] | Record<string, unknown> };

/**
 * The model's per-example input shape and its metadata_props, read from the ONNX envelope
 * (about a millisecond for a 2.5 MB model: weights are not decoded), and the parsed model itself,
 * which importOnnx takes instead of the bytes.
 *
 * @example
 * describeOnnx(bytes); // { inputShape: [784], metadata: { 'nutshell.test_accuracy': '0.9383', ... } }
 */
export function describeOnnx(bytes: Uint8Array): { inputShape: number[]; metadata: Record<string, string>; model: OnnxModel } {
  const model = parseModel(bytes);
  const graph = model.graph!;
  const initialised = new Set(graph.initializer.map((t) => t.name));
  const input = graph.input.find((v) => !initialised.has(v.name));
  if (!input) throw new Error('the model has no graph input');
  return {
    inputShape: valueShape(input).shape.slice(1),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    model,
  };
}

/**
 * Numeric figures from the exporter's metadata (`nutshell.test_accuracy` -> `testAccuracy`, the
 * model card's and the registry's spelling), overridden by the card's numeric `metrics`.
 *
 * @example
 * metricsOf({ 'nutshell.test_accuracy': '0.9383' }); // { testAccuracy: 0.9383 }
 */
export function metricsOf(metadata: Record<string, string>, card?: CardMetrics): Record<string, number> {
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

function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
