import { WORKGROUP, elementwise, type KernelSpec } from '../runtime.ts';

/**
 * Per-channel reductions over [outer, C, inner] (bias gradients, batch normalisation): one
 * workgroup per channel, whose threads stride over the channel's outer x inner values
 * (contiguous along inner) and combine their partial sums in a tree. Batch statistics take two
 * passes (mean, then squared deviations) as on the CPU, which keeps float32 variances accurate.
 */

/**
 * A tree sum over the workgroup in its own workgroup array. Each reduction of a kernel gets its
 * own array: reusing one would overwrite `red[0]` while slower threads may still read it, and
 * Mesa's llvmpipe (22.3) was seen to move such a read past the barrier that should order it,
 * which gave wrong variances. With one array per reduction no thread ever writes what another
 * still has to read.
 */
function reduction(name: string): string {
  return `var<workgroup> ${name}Part: array<vec2f, ${WORKGROUP}>;
fn ${name}(t: u32, v: vec2f) -> vec2f {
  ${name}Part[t] = v;
  workgroupBarrier();
  for (var w = ${WORKGROUP / 2}u; w > 0u; w = w >> 1u) {
    if (t < w) { ${name}Part[t] = ${name}Part[t] + ${name}Part[t + w]; }
    workgroupBarrier();
  }
  return ${name}Part[0];
}
`;
}

const AT = 'fn at(o: u32, c: u32, i: u32) -> u32 { return (o * p.channels + c) * p.inner + i; }\n';

/** The channel of this workgroup (folded into y past 65535 channels) and the per-channel loop. */
function perChannel(reductions: string[], body: string): string {
  return `${reductions.map(reduction).join('')}${AT}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * groups.x;
  if (c >= p.channels) { return; }
  let count = p.outer * p.inner;
${body}
}
`;
}

/** Loops over this thread's share of the channel; `e` is the flat index of the element. */
function each(body: string): string {
  return `  for (var q = t; q < count; q = q + ${WORKGROUP}u) {
    let o = q / p.inner;
    let e = at(o, c, q - o * p.inner);
${body}
  }`;
}

const PARAMS = [['outer', 'u32'], ['channels', 'u32'], ['inner', 'u32']] as const;

export const BIAS_GRAD: KernelSpec = {
  name: 'bias_grad',
  params: PARAMS,
  buffers: [['dy', 'read'], ['dbias', 'write']],
  code: perChannel(['sumDy'], `  var s = 0.0;
${each('    s = s + dy[e];')}
  let total = sumDy(t, vec2f(s, 0.0)).x;
  if (t == 0u) { dbias[c] = total; }`),
};

export const BATCH_NORM_TRAIN: KernelSpec = {
  name: 'bn_train',
  params: [...PARAMS, ['momentum', 'f32'], ['keep', 'f32'], ['eps', 'f32']],
  buffers: [
    ['x', 'read'], ['gamma', 'read'], ['beta', 'read'],
    ['y', 'write'], ['mean', 'write'], ['invStd', 'write'], ['rmean', 'write'], ['rvar', 'write'],
  ],
  code: perChannel(['sumX', 'sumSquares'], `  let fc = f32(count);
  var s = 0.0;
${each('    s = s + x[e];')}
  let mu = sumX(t, vec2f(s, 0.0)).x / fc;
  var v = 0.0;
${each('    let d = x[e] - mu;\n    v = v + d * d;')}
  let variance = sumSquares(t, vec2f(v, 0.0)).x / fc;
  let is = 1.0 / sqrt(variance + p.eps);
  if (t == 0u) {
    mean[c] = mu;
    invStd[c] = is;
    rmean[c] = p.keep * rmean[c] + p.momentum * mu;
    let unbiased = select(variance, variance * fc / (fc - 1.0), count > 1u);
    rvar[c] = p.keep * rvar[c] + p.momentum * unbiased;
  }
  let a = gamma[c] * is;
  let b = beta[c] - mu * a;
${each('    y[e] = x[e] * a + b;')}`),
};

export const BATCH_NORM_GRAD: KernelSpec = {
  name: 'bn_grad',
  params: PARAMS,
  buffers: [
    ['x', 'read'], ['dy', 'read'], ['gamma', 'read'], ['mean', 'read'], ['invStd', 'read'],
    ['dx', 'write'], ['dgamma', 'write'], ['dbeta', 'write'],
  ],
  code: perChannel(['sumGrads'], `  let mu = mean[c];
  let is = invStd[c];
  var acc = vec2f(0.0, 0.0);
${each('    let g = dy[e];\n    acc = acc + vec2f(g, g * (x[e] - mu) * is);')}
  let sums = sumGrads(t, acc);
  if (t == 0u) { dbeta[c] = sums.x; dgamma[c] = sums.y; }
  let fc = f32(count);
  let k = gamma[c] * is / fc;
${each('    let xhat = (x[e] - mu) * is;\n    dx[e] = k * (fc * dy[e] - sums.x - xhat * sums.y);')}`),
};

// --- large channels: slices in parallel, then a per-channel merge in a fixed order -------------

/**
 * Values of one channel that a single workgroup takes. Channels of up to this many values (dense
 * layers, small images) run the one-workgroup kernels above; larger ones (a convolution's channel
 * over a batch: 128 x 28 x 28 = 100352 values) are cut into slices of this size, so that a batch
 * norm over 32 channels keeps hundreds of workgroups busy instead of 32.
 */
export const SLICE = 4096;

/** Workgroup (slice s, channel c) over its slice of the channel; `e` is the flat index. */
function perSlice(reductions: string[], body: string): string {
  return `${reductions.map(reduction).join('')}${AT}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let s = wid.x;
  let c = wid.y;
  let count = p.outer * p.inner;
  let begin = s * ${SLICE}u;
  let end = min(count, begin + ${SLICE}u);
${body}
}
`;
}

function eachInSlice(body: string): string {
  return `  for (var q = begin + t; q < end; q = q + ${WORKGROUP}u) {
    let o = q / p.inner;
    let e = at(o, c, q - o * p.inner);
${body}
  }`;
}

const SLICE_PARAMS = [...PARAMS, ['slices', 'u32']] as const;

/** Per slice: its size, mean and sum of squared deviations (two passes over the slice). */
export const BATCH_NORM_STATS_SLICES: KernelSpec = {
  name: 'bn_stats_slices',
  params: SLICE_PARAMS,
  buffers: [['x', 'read'], ['partial', 'write']],
  code: perSlice(['sumX', 'sumSquares'], `  let n = f32(end - begin);
  var s1 = 0.0;
${eachInSlice('    s1 = s1 + x[e];')}
  let mu = sumX(t, vec2f(s1, 0.0)).x / n;
  var s2 = 0.0;
${eachInSlice('    let d = x[e] - mu;\n    s2 = s2 + d * d;')}
  let m2 = sumSquares(t, vec2f(s2, 0.0)).x;
  if (t == 0u) {
    let o = (c * p.slices + s) * 3u;
    partial[o] = n;
    partial[o + 1u] = mu;
    partial[o + 2u] = m2;
  }`),
};

/**
 * Per channel (one thread each): merges the slices' statistics in order (Chan, Golub & LeVeque:
 * M2 = sum of M2_s + n_s (mean_s - mean)^2), then saves mean and 1/std and moves the running ones.
 */
export const BATCH_NORM_STATS_MERGE: KernelSpec = {
  name: 'bn_stats_merge',
  params: [...SLICE_PARAMS, ['momentum', 'f32'], ['keep', 'f32'], ['eps', 'f32']],
  buffers: [['partial', 'read'], ['mean', 'write'], ['invStd', 'write'], ['rmean', 'write'], ['rvar', 'write']],
  code: `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.channels) { return; }
  let fc = f32(p.outer * p.inner);
  var acc = 0.0;
  for (var s = 0u; s < p.slices; s = s + 1u) {
    let o = (c * p.slices + s) * 3u;
    acc = acc + partial[o] * partial[o + 1u];
  }
  let mu = acc / fc;
  var m2 = 0.0;
  for (var s = 0u; s < p.slices; s = s + 1u) {
    let o = (c * p.slices + s) * 3u;
    let d = partial[o + 1u] - mu;
    m2 = m2 + partial[o + 2u] + partial[o] * d * d;
  }
  let variance = m2 / fc;
  mean[c] = mu;
  invStd[c] = 1.0 / sqrt(variance + p.eps);
  rmean[c] = p.keep * rmean[c] + p.momentum * mu;
  rvar[c] = p.keep * rvar[c] + p.momentum * select(variance, variance * fc / (fc - 1.0), fc > 1.0);
}
`,
};

/** y = gamma (x - mean) / std + beta with the batch's statistics, one thread per element. */
export const BATCH_NORM_APPLY: KernelSpec = {
  name: 'bn_apply',
  params: [['n', 'u32'], ['channels', 'u32'], ['inner', 'u32']],
  buffers: [['x', 'read'], ['gamma', 'read'], ['beta', 'read'], ['mean', 'read'], ['invStd', 'read'], ['y', 'write']],
  code: elementwise(`  let c = (i / p.inner) % p.channels;
  let a = gamma[c] * invStd[c];
  y[i] = x[i] * a + (beta[c] - mean[c] * a);`),
};

/** Per slice: the sums of dy and of dy x xhat (batch-norm gradients) or of dy alone (bias gradients). */
export const GRAD_SUMS_SLICES: Record<'bias' | 'batchnorm', KernelSpec> = {
  bias: {
    name: 'bias_grad_slices',
    params: SLICE_PARAMS,
    buffers: [['dy', 'read'], ['partial', 'write']],
    code: perSlice(['sumDy'], `  var s1 = 0.0;
${eachInSlice('    s1 = s1 + dy[e];')}
  let total = sumDy(t, vec2f(s1, 0.0));
  if (t == 0u) { partial[(c * p.slices + s) * 2u] = total.x; }`),
  },
  batchnorm: {
    name: 'bn_grad_slices',
    params: SLICE_PARAMS,
    buffers: [['x', 'read'], ['dy', 'read'], ['mean', 'read'], ['invStd', 'read'], ['partial', 'write']],
    code: perSlice(['sumGrads'], `  let mu = mean[c];
  let is = invStd[c];
  var acc = vec2f(0.0, 0.0);
${eachInSlice('    let g = dy[e];\n    acc = acc + vec2f(g, g * (x[e] - mu) * is);')}
  let total = sumGrads(t, acc);
  if (t == 0u) { let o = (c * p.slices + s) * 2u; partial[o] = total.x; partial[o + 1u] = total.y; }`),
  },
};

/** Per channel: the slices' sums added in order, into first (dbias, dbeta) and second (dgamma). */
export const GRAD_SUMS_MERGE: Record<'bias' | 'batchnorm', KernelSpec> = {
  bias: {
    name: 'bias_grad_merge',
    params: SLICE_PARAMS,
    buffers: [['partial', 'read'], ['first', 'write']],
    code: `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.channels) { return; }
  var a = 0.0;
  for (var s = 0u; s < p.slices; s = s + 1u) { a = a + partial[(c * p.slices + s) * 2u]; }
  first[c] = a;
}
`,
  },
  batchnorm: {
    name: 'bn_grad_merge',
    params: SLICE_PARAMS,
    buffers: [['partial', 'read'], ['first', 'write'], ['second', 'write']],
    code: `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.channels) { return; }
  var a = vec2f(0.0, 0.0);
  for (var s = 0u; s < p.slices; s = s + 1u) {
    let o = (c * p.slices + s) * 2u;
    a = a + vec2f(partial[o], partial[o + 1u]);
  }
  first[c] = a.x;
  second[c] = a.y;
}
`,
  },
};

/** dx of batch norm from the merged sums, one thread per element. */
export const BATCH_NORM_GRAD_INPUT: KernelSpec = {
  name: 'bn_grad_input',
  params: [['n', 'u32'], ['channels', 'u32'], ['inner', 'u32'], ['count', 'f32']],
  buffers: [
    ['x', 'read'], ['dy', 'read'], ['gamma', 'read'], ['mean', 'read'], ['invStd', 'read'],
    ['dgamma', 'read'], ['dbeta', 'read'], ['dx', 'write'],
  ],
  code: elementwise(`  let c = (i / p.inner) % p.channels;
  let is = invStd[c];
  let xhat = (x[i] - mean[c]) * is;
  dx[i] = (gamma[c] * is / p.count) * (p.count * dy[i] - dbeta[c] - xhat * dgamma[c]);`),
};
