// Vector transcendental functions for the element-wise kernels (4 floats at a time).

/** acc + x * y, fused where the build has relaxed SIMD. */
// @ts-ignore: decorator
@inline function madd(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

/**
 * e^x to about 2 ulp: Cody-Waite range reduction x = n ln2 + r, a degree-6 polynomial for e^r
 * (Cephes' expf coefficients, fused multiply-adds in the relaxed build), and 2^n built in the
 * exponent bits. The clamp uses pmin/pmax (one instruction each on x64; f32x4.min/max cost
 * several for their NaN and signed-zero rules): a NaN input still comes out NaN.
 */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.33654)), f32x4.splat(88.72283));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(f32x4.splat(1.3981999507e-3), p, r);
  p = madd(f32x4.splat(8.3334519073e-3), p, r);
  p = madd(f32x4.splat(4.1665795894e-2), p, r);
  p = madd(f32x4.splat(1.6666665459e-1), p, r);
  p = madd(f32x4.splat(5.0000001201e-1), p, r);
  p = f32x4.add(madd(r, f32x4.mul(p, r), r), f32x4.splat(1));
  // 2^n for n in [-126, 128]: split in two factors so that n = 128 and n = -126 stay finite.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** The logistic function 1 / (1 + e^-x). */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

/**
 * tanh: 1 - 2 / (e^2x + 1) with the sign restored, and Cephes' odd polynomial below |x| = 0.625
 * where that form would lose digits to cancellation.
 */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.add(ax, ax));
  let big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}
