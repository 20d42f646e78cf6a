import { WORKGROUP, elementwise, type KernelSpec } from '../runtime.ts';

/**
 * Kernels over the rows of [rows, k] (the last dimension): softmax and its gradient (one thread
 * per row), and the fused losses and the correct count, which also sum over the whole batch:
 * those run as one workgroup whose threads stride over the rows and then add their partial sums
 * in a tree, so the total lands in loss[0] without atomics and in a fixed order.
 */

export const SOFTMAX: KernelSpec = {
  name: 'softmax',
  params: [['rows', 'u32'], ['k', 'u32']],
  buffers: [['x', 'read'], ['y', 'write']],
  code: elementwise(
    `  let r = i * p.k;
  var m = x[r];
  for (var j = 1u; j < p.k; j = j + 1u) { m = max(m, x[r + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.k; j = j + 1u) { let e = exp(x[r + j] - m); y[r + j] = e; s = s + e; }
  for (var j = 0u; j < p.k; j = j + 1u) { y[r + j] = y[r + j] / s; }`,
    'p.rows',
  ),
};

export const SOFTMAX_GRAD: KernelSpec = {
  name: 'softmax_grad',
  params: [['rows', 'u32'], ['k', 'u32']],
  buffers: [['y', 'read'], ['dy', 'read'], ['dx', 'write']],
  code: elementwise(
    `  let r = i * p.k;
  var dot = 0.0;
  for (var j = 0u; j < p.k; j = j + 1u) { dot = dot + dy[r + j] * y[r + j]; }
  for (var j = 0u; j < p.k; j = j + 1u) { dx[r + j] = y[r + j] * (dy[r + j] - dot); }`,
    'p.rows',
  ),
};

/** One workgroup sums `s` from every thread into `target` (a one-element accumulator). */
function batchSum(loop: string, target: string): string {
  return `var<workgroup> part: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
${loop}
  part[t] = s;
  workgroupBarrier();
  for (var w = ${WORKGROUP / 2}u; w > 0u; w = w >> 1u) {
    if (t < w) { part[t] = part[t] + part[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { ${target}[0] = ${target}[0] + part[0]; }
}
`;
}

export const SOFTMAX_CROSS_ENTROPY: KernelSpec = {
  name: 'softmax_xent',
  params: [['rows', 'u32'], ['k', 'u32'], ['scale', 'f32']],
  buffers: [['z', 'read'], ['tg', 'read'], ['dz', 'write'], ['loss', 'write']],
  code: batchSum(
    `  for (var row = t; row < p.rows; row = row + ${WORKGROUP}u) {
    let r = row * p.k;
    var m = z[r];
    for (var j = 1u; j < p.k; j = j + 1u) { m = max(m, z[r + j]); }
    var e = 0.0;
    for (var j = 0u; j < p.k; j = j + 1u) { e = e + exp(z[r + j] - m); }
    let lse = m + log(e);
    var tsum = 0.0;
    for (var j = 0u; j < p.k; j = j + 1u) { s = s + tg[r + j] * (lse - z[r + j]); tsum = tsum + tg[r + j]; }
    for (var j = 0u; j < p.k; j = j + 1u) { dz[r + j] = p.scale * (exp(z[r + j] - lse) * tsum - tg[r + j]); }
  }`,
    'loss',
  ),
};

// log1p(e) for e in [0, 1] without losing the small values (Goldberg's trick; exact when 1 + e == 1).
export const SIGMOID_CROSS_ENTROPY: KernelSpec = {
  name: 'sigmoid_xent',
  params: [['n', 'u32'], ['scale', 'f32']],
  buffers: [['z', 'read'], ['tg', 'read'], ['dz', 'write'], ['loss', 'write']],
  code: batchSum(
    `  for (var i = t; i < p.n; i = i + ${WORKGROUP}u) {
    let v = z[i];
    let e = exp(-abs(v));
    let u = 1.0 + e;
    let l1p = select(log(u) * e / (u - 1.0), e, u == 1.0);
    s = s + max(v, 0.0) - v * tg[i] + l1p;
    dz[i] = p.scale * (1.0 / (1.0 + exp(-v)) - tg[i]);
  }`,
    'loss',
  ),
};

export const SQUARED_ERROR: KernelSpec = {
  name: 'squared_error',
  params: [['n', 'u32'], ['scale', 'f32']],
  buffers: [['y', 'read'], ['tg', 'read'], ['dy', 'write'], ['loss', 'write']],
  code: batchSum(
    `  for (var i = t; i < p.n; i = i + ${WORKGROUP}u) {
    let e = y[i] - tg[i];
    s = s + 0.5 * e * e;
    dy[i] = p.scale * e;
  }`,
    'loss',
  ),
};

/** Rows whose arg-max agrees (first maximum wins ties, as on the CPU), or every output on the right side of 0.5. */
export const COUNT_CORRECT: Record<'argmax' | 'threshold', KernelSpec> = {
  argmax: {
    name: 'count_argmax',
    params: [['rows', 'u32'], ['k', 'u32']],
    buffers: [['y', 'read'], ['tg', 'read'], ['out', 'write']],
    code: batchSum(
      `  for (var row = t; row < p.rows; row = row + ${WORKGROUP}u) {
    let r = row * p.k;
    var by = 0u;
    var bt = 0u;
    for (var j = 1u; j < p.k; j = j + 1u) {
      if (y[r + j] > y[r + by]) { by = j; }
      if (tg[r + j] > tg[r + bt]) { bt = j; }
    }
    if (by == bt) { s = s + 1.0; }
  }`,
      'out',
    ),
  },
  threshold: {
    name: 'count_threshold',
    params: [['rows', 'u32'], ['k', 'u32']],
    buffers: [['y', 'read'], ['tg', 'read'], ['out', 'write']],
    code: batchSum(
      `  for (var row = t; row < p.rows; row = row + ${WORKGROUP}u) {
    let r = row * p.k;
    var ok = true;
    for (var j = 0u; j < p.k; j = j + 1u) { ok = ok && ((y[r + j] >= 0.5) == (tg[r + j] >= 0.5)); }
    if (ok) { s = s + 1.0; }
  }`,
      'out',
    ),
  },
};
