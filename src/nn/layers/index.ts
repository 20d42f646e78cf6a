import { Activation } from './activation.ts';
import { BatchNorm } from './batchnorm.ts';
import { Conv2d } from './conv2d.ts';
import { Dense } from './dense.ts';
import { Dropout } from './dropout.ts';
import { Flatten } from './flatten.ts';
import type { Layer, LayerSpec } from './layer.ts';
import { Pool } from './pool.ts';

export { Activation, BatchNorm, Conv2d, Dense, Dropout, Flatten, Pool };
export type { Layer, LayerSpec };
export type { Param, StateTensor, ForwardOptions } from './layer.ts';

/** The one place that turns a serialisable layer description into a layer. */
export function layerFromSpec(spec: LayerSpec): Layer {
  switch (spec.type) {
    case 'dense':
      return new Dense(spec.units, spec.mask);
    case 'activation':
      return new Activation(spec.fn);
    case 'dropout':
      return new Dropout(spec.rate);
    case 'conv2d':
      return new Conv2d(spec.filters, spec.kernel, spec.stride ?? 1, spec.padding ?? 0);
    case 'maxpool':
      return new Pool('max', spec.size, spec.stride);
    case 'avgpool':
      return new Pool('avg', spec.size, spec.stride);
    case 'flatten':
      return new Flatten();
    case 'batchnorm':
      return new BatchNorm(spec.eps, spec.momentum);
    default:
      throw new Error(`unknown layer type '${(spec as { type: string }).type}'`);
  }
}
