// Parameter updates, 4 weights at a time. Weight decay is L2: g + wd * w.

/** w -= lr * (g + wd * w) */
export function sgdUpdate(w: usize, g: usize, n: i32, lr: f32, wd: f32): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const wv = v128.load(w + o);
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv)))));
  }
  for (; o < (<usize>n << 2); o += 4) {
    const wv = load<f32>(w + o);
    store<f32>(w + o, wv - lr * (load<f32>(g + o) + wd * wv));
  }
}

/** v = mu * v - lr * (g + wd * w); w += v (Nesterov: w += mu * v - lr * grad). */
export function momentumUpdate(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, wd: f32, nesterov: i32): void {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(mu);
  const vwd = f32x4.splat(wd);
  const end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const wv = v128.load(w + o);
    const grad = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const step = f32x4.mul(vlr, grad);
    const vel = f32x4.sub(f32x4.mul(vmu, v128.load(v + o)), step);
    v128.store(v + o, vel);
    v128.store(w + o, f32x4.add(wv, nesterov ? f32x4.sub(f32x4.mul(vmu, vel), step) : vel));
  }
  for (; o < (<usize>n << 2); o += 4) {
    const wv = load<f32>(w + o);
    const grad = load<f32>(g + o) + wd * wv;
    const vel = mu * load<f32>(v + o) - lr * grad;
    store<f32>(v + o, vel);
    store<f32>(w + o, wv + (nesterov ? mu * vel - lr * grad : vel));
  }
}

/**
 * Adam with bias corrections c1 = 1 - beta1^t and c2 = 1 - beta2^t. The caller passes
 * a1 = 1 - beta1 and a2 = 1 - beta2 computed in f64: 1 - 0.999f in f32 is off by 1e-5.
 */
export function adamUpdate(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, a1: f32, a2: f32, eps: f32, c1: f32, c2: f32, wd: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2);
  const va1 = f32x4.splat(a1), va2 = f32x4.splat(a2);
  const vwd = f32x4.splat(wd), veps = f32x4.splat(eps), vlr = f32x4.splat(lr);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  const end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const wv = v128.load(w + o);
    const grad = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(va1, grad));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(va2, grad), grad));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const upd = f32x4.div(f32x4.mul(vlr, f32x4.div(mi, vc1)), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps));
    v128.store(w + o, f32x4.sub(wv, upd));
  }
  for (; o < (<usize>n << 2); o += 4) {
    const wv = load<f32>(w + o);
    const grad = load<f32>(g + o) + wd * wv;
    const mi = b1 * load<f32>(m + o) + a1 * grad;
    const vi = b2 * load<f32>(v + o) + a2 * grad * grad;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, wv - (lr * (mi / c1)) / (Mathf.sqrt(vi / c2) + eps));
  }
}
