// Max pooling (NCHW), the same walk as the TypeScript reference: the first largest value of each
// window wins, and its index within the plane is kept (as a float) for the gradient.

/** y[nc, oh, ow] = the largest x[nc, ih, iw] of the window; argmax = ih * w + iw (-1 for a window wholly outside). */
export function maxPool(x: usize, y: usize, argmax: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32): void {
  // 2 x 2 windows, stride 2, no padding (every pooling layer of the presets): four outputs at once.
  const pairs = kh == 2 && kw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && outW >= 4 && outH * 2 <= h && outW * 2 <= w && h * w <= 1 << 24;
  let o: usize = 0;
  for (let nc: i32 = 0; nc < planes; nc++) {
    const base = x + ((<usize>nc * <usize>(h * w)) << 2);
    for (let oh: i32 = 0; oh < outH; oh++) {
      let ow: i32 = 0;
      if (pairs) {
        for (; ow + 4 <= outW; ow += 4, o += 16) maxPool2x2Four(base, y + o, argmax + o, w, oh * 2, ow * 2);
        // The row's last outputs: the last four again, overlapping outputs already written (same values).
        if (ow < outW) {
          const back = <usize>(outW - ow) << 2;
          maxPool2x2Four(base, y + o + back - 16, argmax + o + back - 16, w, oh * 2, (outW - 4) * 2);
          o += back;
          ow = outW;
        }
      }
      for (; ow < outW; ow++, o += 4) {
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

/**
 * Four outputs of a 2 x 2, stride-2 window at input row `ih`, columns `iw` to `iw + 7`: the four
 * candidates of each window taken in the scalar walk's order with a strict `>`, starting from
 * -Infinity and -1, so values and argmax are the scalar walk's exactly (ties, NaN and -0 included).
 */
// @ts-ignore: decorator
@inline function maxPool2x2Four(base: usize, y: usize, argmax: usize, w: i32, ih: i32, iw: i32): void {
  const r0 = base + (<usize>(ih * w + iw) << 2);
  const r1 = r0 + (<usize>w << 2);
  const top0 = v128.load(r0), top1 = v128.load(r0, 16);
  const bot0 = v128.load(r1), bot1 = v128.load(r1, 16);
  const first = <f32>(ih * w + iw);
  const index = f32x4(first, first + 2, first + 4, first + 6);
  let best = f32x4.splat(-Infinity);
  let at = f32x4.splat(-1);
  // Windows' left and right columns: the even and the odd lanes of the eight inputs of a row.
  let v = v128.shuffle<f32>(top0, top1, 0, 2, 4, 6);
  let take = f32x4.gt(v, best);
  best = v128.bitselect(v, best, take);
  at = v128.bitselect(index, at, take);
  v = v128.shuffle<f32>(top0, top1, 1, 3, 5, 7);
  take = f32x4.gt(v, best);
  best = v128.bitselect(v, best, take);
  at = v128.bitselect(f32x4.add(index, f32x4.splat(1)), at, take);
  v = v128.shuffle<f32>(bot0, bot1, 0, 2, 4, 6);
  take = f32x4.gt(v, best);
  best = v128.bitselect(v, best, take);
  at = v128.bitselect(f32x4.add(index, f32x4.splat(<f32>w)), at, take);
  v = v128.shuffle<f32>(bot0, bot1, 1, 3, 5, 7);
  take = f32x4.gt(v, best);
  best = v128.bitselect(v, best, take);
  at = v128.bitselect(f32x4.add(index, f32x4.splat(<f32>(w + 1))), at, take);
  v128.store(y, best);
  v128.store(argmax, at);
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
