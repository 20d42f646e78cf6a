// Losses of a batch, fused with their gradients. Sums are taken in f64 like the reference.

/** loss[0] += sum of -t log softmax(z); dz = scale * (softmax(z) * sum(t) - t). Rows of k. */
export function softmaxCrossEntropy(z: usize, t: usize, dz: usize, loss: usize, rows: i32, k: i32, scale: f64): void {
  let total: f64 = 0;
  const k4 = <usize>k << 2;
  for (let r: i32 = 0; r < rows; r++, z += k4, t += k4, dz += k4) {
    let m: f64 = -Infinity;
    for (let j: i32 = 0; j < k; j++) m = max(m, <f64>load<f32>(z + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j: i32 = 0; j < k; j++) s += Math.exp(<f64>load<f32>(z + (<usize>j << 2)) - m);
    const lse = m + Math.log(s);
    let tsum: f64 = 0;
    for (let j: i32 = 0; j < k; j++) {
      const tj = <f64>load<f32>(t + (<usize>j << 2));
      total += tj * (lse - <f64>load<f32>(z + (<usize>j << 2)));
      tsum += tj;
    }
    for (let j: i32 = 0; j < k; j++) {
      const o = <usize>j << 2;
      store<f32>(dz + o, <f32>(scale * (Math.exp(<f64>load<f32>(z + o) - lse) * tsum - <f64>load<f32>(t + o))));
    }
  }
  store<f32>(loss, <f32>(<f64>load<f32>(loss) + total));
}

/** Binary cross-entropy from logits; dz = scale * (sigmoid(z) - t). */
export function sigmoidCrossEntropy(z: usize, t: usize, dz: usize, loss: usize, n: i32, scale: f64): void {
  let total: f64 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = <f64>load<f32>(z + o);
    const ti = <f64>load<f32>(t + o);
    total += max(v, 0) - v * ti + Math.log1p(Math.exp(-Math.abs(v)));
    store<f32>(dz + o, <f32>(scale * (1 / (1 + Math.exp(-v)) - ti)));
  }
  store<f32>(loss, <f32>(<f64>load<f32>(loss) + total));
}

/** E = 1/2 sum (y - t)^2; dy = scale * (y - t). */
export function squaredError(y: usize, t: usize, dy: usize, loss: usize, n: i32, scale: f64): void {
  let total: f64 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = <f64>load<f32>(y + o) - <f64>load<f32>(t + o);
    total += 0.5 * e * e;
    store<f32>(dy + o, <f32>(scale * e));
  }
  store<f32>(loss, <f32>(<f64>load<f32>(loss) + total));
}

/** out[0] += rows where arg-max(y) = arg-max(t) (mode 0) or every output sits on t's side of 0.5 (mode 1). */
export function countCorrect(y: usize, t: usize, out: usize, rows: i32, k: i32, mode: i32): void {
  let correct: i32 = 0;
  const k4 = <usize>k << 2;
  for (let r: i32 = 0; r < rows; r++, y += k4, t += k4) {
    if (mode == 0) {
      let by: i32 = 0;
      let bt: i32 = 0;
      for (let j: i32 = 1; j < k; j++) {
        const o = <usize>j << 2;
        if (load<f32>(y + o) > load<f32>(y + (<usize>by << 2))) by = j;
        if (load<f32>(t + o) > load<f32>(t + (<usize>bt << 2))) bt = j;
      }
      if (by == bt) correct++;
    } else {
      let ok = true;
      for (let j: i32 = 0; j < k && ok; j++) {
        const o = <usize>j << 2;
        ok = (load<f32>(y + o) >= 0.5) == (load<f32>(t + o) >= 0.5);
      }
      if (ok) correct++;
    }
  }
  store<f32>(out, load<f32>(out) + <f32>correct);
}
