import type { Rng } from './rng.ts';

/**
 * Initial weights. Glorot/Xavier uniform keeps sigmoid and tanh units out of saturation
 * (Glorot & Bengio 2010); He normal suits ReLU units (He et al. 2015). `zeros` is for weights that
 * are about to be loaded (importOnnx): drawing 600,000 random numbers only to overwrite them is
 * most of what importing a model costs.
 */
export function initWeights(n: number, fanIn: number, fanOut: number, scheme: 'glorot' | 'he' | 'zeros', rng: Rng): Float64Array {
  const w = new Float64Array(n);
  if (scheme === 'zeros') return w;
  if (scheme === 'he') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < n; i++) w[i] = rng.normal(0, std);
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < n; i++) w[i] = (2 * rng.uniform() - 1) * limit;
  }
  return w;
}
