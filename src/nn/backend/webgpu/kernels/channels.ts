import { WORKGROUP, type KernelSpec } from '../runtime.ts';

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
