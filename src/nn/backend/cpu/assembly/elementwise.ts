// Element-wise kernels of a training step: bias, activations and their gradients, products.
// Each runs 4 floats at a time with a scalar tail; pointers are byte offsets, counts are floats.
import { exp4, sigmoid4, tanh4 } from './vmath';

export const LINEAR = 0;
export const SIGMOID = 1;
export const TANH = 2;
export const RELU = 3;

/** x viewed as [outer, C, inner]: x[o, c, i] += bias[c]. */
export function addBias(x: usize, bias: usize, C: i32, outer: i32, inner: i32): void {
  if (inner == 1) {
    const C4 = <usize>C << 2;
    for (let o: i32 = 0; o < outer; o++) {
      addInto(x, bias, x, C);
      x += C4;
    }
    return;
  }
  for (let o: i32 = 0; o < outer; o++) {
    for (let c: i32 = 0; c < C; c++) {
      const v = f32x4.splat(load<f32>(bias + (<usize>c << 2)));
      let i: i32 = 0;
      for (; i + 4 <= inner; i += 4, x += 16) v128.store(x, f32x4.add(v128.load(x), v));
      for (; i < inner; i++, x += 4) store<f32>(x, load<f32>(x) + f32x4.extract_lane(v, 0));
    }
  }
}

/** dbias[c] = sum over o and i of dy[o, c, i] (overwrites). */
export function biasGrad(dy: usize, dbias: usize, C: i32, outer: i32, inner: i32): void {
  memory.fill(dbias, 0, <usize>C << 2);
  if (inner == 1) {
    const C4 = <usize>C << 2;
    for (let o: i32 = 0; o < outer; o++) {
      addInto(dbias, dy, dbias, C);
      dy += C4;
    }
    return;
  }
  for (let o: i32 = 0; o < outer; o++) {
    for (let c: i32 = 0; c < C; c++) {
      let s = f32x4.splat(0);
      let i: i32 = 0;
      for (; i + 4 <= inner; i += 4, dy += 16) s = f32x4.add(s, v128.load(dy));
      let t: f32 = 0;
      for (; i < inner; i++, dy += 4) t += load<f32>(dy);
      const p = dbias + (<usize>c << 2);
      store<f32>(p, load<f32>(p) + (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)) + t);
    }
  }
}

/** out = a + b (out may alias either). */
export function addInto(a: usize, b: usize, out: usize, n: i32): void {
  const end = out + (<usize>(n & ~3) << 2);
  while (out < end) {
    v128.store(out, f32x4.add(v128.load(a), v128.load(b)));
    a += 16; b += 16; out += 16;
  }
  for (let i: i32 = n & ~3; i < n; i++, a += 4, b += 4, out += 4) store<f32>(out, load<f32>(a) + load<f32>(b));
}

/** out = a * b (out may alias either). */
export function mul(a: usize, b: usize, out: usize, n: i32): void {
  const end = out + (<usize>(n & ~3) << 2);
  while (out < end) {
    v128.store(out, f32x4.mul(v128.load(a), v128.load(b)));
    a += 16; b += 16; out += 16;
  }
  for (let i: i32 = n & ~3; i < n; i++, a += 4, b += 4, out += 4) store<f32>(out, load<f32>(a) * load<f32>(b));
}

/** y = f(x) for one of LINEAR, SIGMOID, TANH, RELU (y may alias x). */
export function activation(fn: i32, x: usize, y: usize, n: i32): void {
  if (fn == LINEAR) {
    if (x != y) memory.copy(y, x, <usize>n << 2);
    return;
  }
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  let o: usize = 0;
  const end = <usize>n4 << 2;
  if (fn == SIGMOID) for (; o < end; o += 16) v128.store(y + o, sigmoid4(v128.load(x + o)));
  else if (fn == TANH) for (; o < end; o += 16) v128.store(y + o, tanh4(v128.load(x + o)));
  else for (; o < end; o += 16) {
    const v = v128.load(x + o);
    v128.store(y + o, v128.and(v, f32x4.gt(v, zero))); // x > 0 ? x : 0, NaN to 0 like the reference
  }
  for (let i = n4; i < n; i++, o += 4) {
    const v = f32x4.splat(load<f32>(x + o));
    const r = fn == SIGMOID ? sigmoid4(v) : fn == TANH ? tanh4(v) : v128.and(v, f32x4.gt(v, zero));
    store<f32>(y + o, f32x4.extract_lane(r, 0));
  }
}

/** dx = dy * f'(x), with f' in terms of the output y (dx may alias dy). */
export function activationGrad(fn: i32, y: usize, dy: usize, dx: usize, n: i32): void {
  if (fn == LINEAR) {
    if (dy != dx) memory.copy(dx, dy, <usize>n << 2);
    return;
  }
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const end = <usize>n << 2;
  let o: usize = 0;
  const end4 = <usize>(n & ~3) << 2;
  if (fn == SIGMOID) {
    for (; o < end4; o += 16) {
      const v = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(f32x4.mul(v128.load(dy + o), v), f32x4.sub(one, v)));
    }
    for (; o < end; o += 4) {
      const v = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * v * (1 - v));
    }
  } else if (fn == TANH) {
    for (; o < end4; o += 16) {
      const v = v128.load(y + o);
      // (1 - y)(1 + y), not 1 - y^2: exact where y is near 1 and the derivative is small.
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(f32x4.sub(one, v), f32x4.add(one, v))));
    }
    for (; o < end; o += 4) {
      const v = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * ((1 - v) * (1 + v)));
    }
  } else {
    for (; o < end4; o += 16) v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    for (; o < end; o += 4) store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

/** Softmax over rows of k (y may alias x). */
export function softmax(x: usize, y: usize, rows: i32, k: i32): void {
  const k4 = <usize>k << 2;
  for (let r: i32 = 0; r < rows; r++, x += k4, y += k4) {
    let m: f32 = -Infinity;
    for (let j: i32 = 0; j < k; j++) m = max(m, load<f32>(x + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j: i32 = 0; j < k; j++) {
      const e = Math.exp(<f64>load<f32>(x + (<usize>j << 2)) - m);
      store<f32>(y + (<usize>j << 2), <f32>e);
      s += e;
    }
    // Normalise the rounded exponentials, as the reference does.
    for (let j: i32 = 0; j < k; j++) store<f32>(y + (<usize>j << 2), <f32>(<f64>load<f32>(y + (<usize>j << 2)) / s));
  }
}

/** dx = y * (dy - sum(dy * y)) over rows of k. */
export function softmaxGrad(y: usize, dy: usize, dx: usize, rows: i32, k: i32): void {
  const k4 = <usize>k << 2;
  for (let r: i32 = 0; r < rows; r++, y += k4, dy += k4, dx += k4) {
    let dot: f64 = 0;
    for (let j: i32 = 0; j < k; j++) dot += <f64>load<f32>(dy + (<usize>j << 2)) * <f64>load<f32>(y + (<usize>j << 2));
    for (let j: i32 = 0; j < k; j++) {
      const o = <usize>j << 2;
      store<f32>(dx + o, <f32>(<f64>load<f32>(y + o) * (<f64>load<f32>(dy + o) - dot)));
    }
  }
}

/** Unused by the layers but kept beside exp4 for the tests: y = e^x. */
export function expVec(x: usize, y: usize, n: i32): void {
  let o: usize = 0;
  const end4 = <usize>(n & ~3) << 2;
  for (; o < end4; o += 16) v128.store(y + o, exp4(v128.load(x + o)));
  for (; o < (<usize>n << 2); o += 4) store<f32>(y + o, f32x4.extract_lane(exp4(f32x4.splat(load<f32>(x + o))), 0));
}
