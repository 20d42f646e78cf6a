import type { ActivationFn } from '../../backend.ts';
import { elementwise, type KernelSpec } from '../runtime.ts';

/**
 * One thread per element: memory, activations and their gradients, dropout masks, optimizer
 * updates and batch-norm inference. Each mirrors the CPU backend's loop body line for line.
 */

export const FILL: KernelSpec = {
  name: 'fill',
  params: [['n', 'u32'], ['value', 'f32']],
  buffers: [['t', 'write']],
  code: elementwise('  t[i] = p.value;'),
};

export const MUL: KernelSpec = {
  name: 'mul',
  params: [['n', 'u32']],
  buffers: [['a', 'read'], ['b', 'read'], ['out', 'write']],
  code: elementwise('  out[i] = a[i] * b[i];'),
};

export const ADD_BIAS: KernelSpec = {
  name: 'add_bias',
  params: [['n', 'u32'], ['channels', 'u32'], ['inner', 'u32']],
  buffers: [['bias', 'read'], ['x', 'write']],
  code: elementwise('  x[i] = x[i] + bias[(i / p.inner) % p.channels];'),
};

// tanh is clamped first: some shader compilers compute it through exp and overflow to NaN
// for |x| above about 44; tanh(20) already rounds to 1 in float32.
const ACTIVATIONS: Record<ActivationFn, string> = {
  linear: 'x[i]',
  sigmoid: '1.0 / (1.0 + exp(-x[i]))',
  tanh: 'tanh(clamp(x[i], -20.0, 20.0))',
  relu: 'select(0.0, x[i], x[i] > 0.0)',
};

// dx = dy * f'(x), f' written in terms of the output y (the article's y(1 - y) for sigmoid).
const DERIVATIVES: Record<ActivationFn, string> = {
  linear: 'dy[i]',
  sigmoid: 'dy[i] * y[i] * (1.0 - y[i])',
  tanh: 'dy[i] * (1.0 - y[i] * y[i])',
  relu: 'select(0.0, dy[i], y[i] > 0.0)',
};

export const ACTIVATION = Object.fromEntries(
  (Object.keys(ACTIVATIONS) as ActivationFn[]).map((fn): [ActivationFn, KernelSpec] => [
    fn,
    { name: `act_${fn}`, params: [['n', 'u32']], buffers: [['x', 'read'], ['y', 'write']], code: elementwise(`  y[i] = ${ACTIVATIONS[fn]};`) },
  ]),
) as Record<ActivationFn, KernelSpec>;

export const ACTIVATION_GRAD = Object.fromEntries(
  (Object.keys(DERIVATIVES) as ActivationFn[]).map((fn): [ActivationFn, KernelSpec] => [
    fn,
    {
      name: `act_grad_${fn}`,
      params: [['n', 'u32']],
      buffers: [['y', 'read'], ['dy', 'read'], ['dx', 'write']],
      code: elementwise(`  dx[i] = ${DERIVATIVES[fn]};`),
    },
  ]),
) as Record<ActivationFn, KernelSpec>;

/** PCG-RXS-M-XS, as `pcgHash` in rng.ts; u32 products wrap like Math.imul. */
export const PCG_HASH = `fn pcgHash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
`;

/** mask[i] = keep if hashU32(key, i) >= threshold, else 0; `keyHash` is pcgHash(key). */
export const DROPOUT_MASK: KernelSpec = {
  name: 'dropout_mask',
  params: [['n', 'u32'], ['keyHash', 'u32'], ['threshold', 'u32'], ['keep', 'f32']],
  buffers: [['mask', 'write']],
  code: PCG_HASH + elementwise('  mask[i] = select(0.0, p.keep, pcgHash(i ^ p.keyHash) >= p.threshold);'),
};

export const SGD: KernelSpec = {
  name: 'sgd',
  params: [['n', 'u32'], ['lr', 'f32'], ['wd', 'f32']],
  buffers: [['g', 'read'], ['w', 'write']],
  code: elementwise('  w[i] = w[i] - p.lr * (g[i] + p.wd * w[i]);'),
};

export const MOMENTUM: KernelSpec = {
  name: 'momentum',
  params: [['n', 'u32'], ['lr', 'f32'], ['mu', 'f32'], ['wd', 'f32'], ['nesterov', 'u32']],
  buffers: [['g', 'read'], ['w', 'write'], ['v', 'write']],
  code: elementwise(`  let grad = g[i] + p.wd * w[i];
  let vel = p.mu * v[i] - p.lr * grad;
  v[i] = vel;
  w[i] = w[i] + select(vel, p.mu * vel - p.lr * grad, p.nesterov != 0u);`),
};

/**
 * Adam. 1 - beta1, 1 - beta2 and the bias corrections 1 - beta^step come from the host in float64:
 * 1 - f32(0.999) is 1.3e-5 away from 0.001 in relative terms, which the CPU does not see.
 */
export const ADAM: KernelSpec = {
  name: 'adam',
  params: [
    ['n', 'u32'], ['lr', 'f32'], ['beta1', 'f32'], ['beta2', 'f32'], ['rest1', 'f32'], ['rest2', 'f32'],
    ['eps', 'f32'], ['c1', 'f32'], ['c2', 'f32'], ['wd', 'f32'],
  ],
  buffers: [['g', 'read'], ['w', 'write'], ['m', 'write'], ['v', 'write']],
  code: elementwise(`  let grad = g[i] + p.wd * w[i];
  let mi = p.beta1 * m[i] + p.rest1 * grad;
  let vi = p.beta2 * v[i] + p.rest2 * grad * grad;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] - (p.lr * (mi / p.c1)) / (sqrt(vi / p.c2) + p.eps);`),
};

/** y = gamma (x - runningMean) / sqrt(runningVar + eps) + beta, per channel of [outer, C, inner]. */
export const BATCH_NORM_INFER: KernelSpec = {
  name: 'bn_infer',
  params: [['n', 'u32'], ['channels', 'u32'], ['inner', 'u32'], ['eps', 'f32']],
  buffers: [['x', 'read'], ['gamma', 'read'], ['beta', 'read'], ['rmean', 'read'], ['rvar', 'read'], ['y', 'write']],
  code: elementwise(`  let c = (i / p.inner) % p.channels;
  let a = gamma[c] / sqrt(rvar[c] + p.eps);
  y[i] = x[i] * a + (beta[c] - rmean[c] * a);`),
};
