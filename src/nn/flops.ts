import { sizeOf } from './backend/backend.ts';
import { layerFromSpec, type LayerSpec } from './layers/index.ts';
import type { NetworkSpec } from './network.ts';

export interface LayerCost {
  type: LayerSpec['type'];
  /** Shape of one example coming out. */
  output: number[];
  flops: number;
}

/**
 * Floating-point operations for one prediction (one example, inference mode), from the spec alone.
 * A multiply-add counts 2 (convolutions, dense layers); a bias add 1 per output; batch norm 2 per
 * element (scale, shift); an activation 1 per element, softmax 3 (exp, sum, divide); pooling one
 * comparison or add per window element; dropout and flatten nothing.
 *
 * @example
 * networkFlops(parseArch('784-800-10')).total // 1,272,040 = 2 x 784 x 800 + 800 + 800 + 2 x 800 x 10 + 10 + 30
 */
export function networkFlops(spec: NetworkSpec): { total: number; layers: LayerCost[] } {
  let shape = [...spec.input];
  const layers = spec.layers.map((s): LayerCost => {
    const output = layerFromSpec(s).outputShapeFor(shape);
    const out = sizeOf(output);
    const flops = layerFlops(s, shape, out);
    shape = output;
    return { type: s.type, output, flops };
  });
  return { total: layers.reduce((a, l) => a + l.flops, 0), layers };
}

function layerFlops(s: LayerSpec, input: number[], out: number): number {
  switch (s.type) {
    case 'conv2d':
      return out * (2 * input[0] * s.kernel * s.kernel + 1);
    case 'dense':
      return out * (2 * sizeOf(input) + 1);
    case 'batchnorm':
      return 2 * out;
    case 'activation':
      return (s.fn === 'softmax' ? 3 : 1) * out;
    case 'maxpool':
    case 'avgpool':
      return out * s.size * s.size;
    case 'dropout':
    case 'flatten':
      return 0;
  }
}
