import type { LayerSpec } from '../nn/layers/layer.ts';
import type { NetworkSpec } from '../nn/network.ts';

/**
 * The network description as it travels in ONNX metadata: JSON with connectivity masks left out
 * (they are initializers in the graph) and replaced by `"masked": true`.
 */
export function specToJson(spec: NetworkSpec): string {
  const layers = spec.layers.map((l) => (l.type === 'dense' && l.mask ? { type: 'dense', units: l.units, masked: true } : l));
  return JSON.stringify({ input: spec.input, layers });
}

export function specFromJson(text: string): NetworkSpec | null {
  try {
    const v = JSON.parse(text) as { input?: unknown; layers?: unknown };
    if (!Array.isArray(v.input) || !Array.isArray(v.layers)) return null;
    return { input: v.input as number[], layers: v.layers as LayerSpec[] };
  } catch {
    return null;
  }
}

/**
 * What a layer computes at inference, in one canonical form: dropout gone, defaults filled in,
 * 'same' padding as numbers, floats at float32 precision (as ONNX attributes store them).
 * Two specs with equal canonical forms describe the same inference graph.
 */
export function canonicalInference(spec: NetworkSpec): string {
  const layers = spec.layers
    .filter((l) => l.type !== 'dropout')
    .map((l): unknown => {
      switch (l.type) {
        case 'dense':
          return { type: 'dense', units: l.units };
        case 'conv2d':
          return { type: 'conv2d', filters: l.filters, kernel: l.kernel, stride: l.stride ?? 1, padding: l.padding === 'same' ? (l.kernel - 1) / 2 : (l.padding ?? 0) };
        case 'maxpool':
        case 'avgpool':
          return { type: l.type, size: l.size, stride: l.stride ?? l.size };
        case 'batchnorm':
          return { type: 'batchnorm', eps: Math.fround(l.eps ?? 1e-5), momentum: Math.fround(1 - (l.momentum ?? 0.1)) };
        default:
          return l;
      }
    });
  return JSON.stringify({ input: spec.input, layers });
}
