// Max pooling (NCHW), the same walk as the TypeScript reference: the first largest value of each
// window wins, and its index within the plane is kept (as a float) for the gradient.

/** y[nc, oh, ow] = the largest x[nc, ih, iw] of the window; argmax = ih * w + iw (-1 for a window wholly outside). */
export function maxPool(x: usize, y: usize, argmax: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32): void {
  let o: usize = 0;
  for (let nc: i32 = 0; nc < planes; nc++) {
    const base = x + ((<usize>nc * <usize>(h * w)) << 2);
    for (let oh: i32 = 0; oh < outH; oh++) {
      for (let ow: i32 = 0; ow < outW; ow++, o += 4) {
        let best: f32 = -Infinity;
        let at: i32 = -1;
        for (let i: i32 = 0; i < kh; i++) {
          const ih = oh * sh - pt + i;
          if (ih < 0 || ih >= h) continue;
          for (let j: i32 = 0; j < kw; j++) {
            const iw = ow * sw - pl + j;
            if (iw < 0 || iw >= w) continue;
            const v = load<f32>(base + (<usize>(ih * w + iw) << 2));
            if (v > best) {
              best = v;
              at = ih * w + iw;
            }
          }
        }
        store<f32>(y + o, best);
        store<f32>(argmax + o, <f32>at);
      }
    }
  }
}

/** dx = 0, then each output's gradient added to the input its window took the maximum from. */
export function maxPoolGrad(dy: usize, argmax: usize, dx: usize, planes: i32, h: i32, w: i32, outH: i32, outW: i32): void {
  const plane = h * w;
  const outPlane = outH * outW;
  memory.fill(dx, 0, (<usize>planes * <usize>plane) << 2);
  for (let nc: i32 = 0; nc < planes; nc++) {
    const base = dx + ((<usize>nc * <usize>plane) << 2);
    for (let p: i32 = 0; p < outPlane; p++) {
      const o = (<usize>(nc * outPlane + p)) << 2;
      const at = <i32>load<f32>(argmax + o);
      if (at >= 0) {
        const q = base + (<usize>at << 2);
        store<f32>(q, load<f32>(q) + load<f32>(dy + o));
      }
    }
  }
}
