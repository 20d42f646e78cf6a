// Batch normalisation at inference: each channel scaled and shifted by its running statistics.

/**
 * y[o, c, i] = x[o, c, i] * a[c] + b[c] over `outer` x `channels` x `inner` floats, where
 * a = gamma / sqrt(var + eps) and b = beta - mean * a, both worked out in double precision as the
 * TypeScript reference does, then rounded to float32 once per channel.
 */
export function batchNormInfer(x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize,
  eps: f64, channels: i32, outer: i32, inner: i32): void {
  for (let c: i32 = 0; c < channels; c++) {
    const at = <usize>c << 2;
    const a64 = <f64>load<f32>(gamma + at) / Math.sqrt(<f64>load<f32>(variance + at) + eps);
    const a = <f32>a64;
    const b = <f32>(<f64>load<f32>(beta + at) - <f64>load<f32>(mean + at) * a64);
    const av = f32x4.splat(a);
    const bv = f32x4.splat(b);
    for (let o: i32 = 0; o < outer; o++) {
      const offset = (<usize>(o * channels + c) * <usize>inner) << 2;
      const xs = x + offset;
      const ys = y + offset;
      let i: i32 = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        v128.store(ys + p, f32x4.add(f32x4.mul(v128.load(xs + p), av), bv));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(ys + p, load<f32>(xs + p) * a + b);
      }
    }
  }
}
