// Layout kernels of the convolution as im2col + one matrix product over the whole batch (NCHW).

/** col[(ci, i, j), (n, oh, ow)] = x[n, ci, oh*s - pad + i, ow*s - pad + j], zero outside. */
export function im2col(x: usize, col: usize, n: i32, cin: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32): void {
  let o = col;
  for (let ci: i32 = 0; ci < cin; ci++) {
    for (let i: i32 = 0; i < kh; i++) {
      for (let j: i32 = 0; j < kw; j++) {
        for (let b: i32 = 0; b < n; b++) {
          const base = x + ((<usize>(b * cin + ci) * <usize>(h * w)) << 2);
          for (let oh: i32 = 0; oh < outH; oh++) {
            const ih = oh * sh - pt + i;
            if (ih < 0 || ih >= h) {
              memory.fill(o, 0, <usize>outW << 2);
              o += <usize>outW << 2;
              continue;
            }
            const row = base + ((<usize>(ih * w)) << 2);
            // Columns inside the image form one run when the stride is 1: zeros, a copy, zeros.
            if (sw == 1) {
              const first = min(outW, max(0, pl - j));
              const end = max(first, min(outW, w + pl - j));
              if (first > 0) memory.fill(o, 0, <usize>first << 2);
              const dst = o + (<usize>first << 2);
              const src = row + (<usize>(first - pl + j) << 2);
              const bytes = <usize>(end - first) << 2;
              let k: usize = 0;
              for (; k + 16 <= bytes; k += 16) v128.store(dst + k, v128.load(src + k));
              for (; k < bytes; k += 4) store<f32>(dst + k, load<f32>(src + k));
              if (end < outW) memory.fill(o + (<usize>end << 2), 0, <usize>(outW - end) << 2);
              o += <usize>outW << 2;
              continue;
            }
            let ow: i32 = 0;
            for (; ow < outW; ow++, o += 4) {
              const iw = ow * sw - pl + j;
              store<f32>(o, iw >= 0 && iw < w ? load<f32>(row + (<usize>iw << 2)) : 0);
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx = 0, then scatter-add the columns back into the image. */
export function col2im(col: usize, dx: usize, n: i32, cin: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, outH: i32, outW: i32): void {
  memory.fill(dx, 0, <usize>(n * cin * h * w) << 2);
  let o = col;
  for (let ci: i32 = 0; ci < cin; ci++) {
    for (let i: i32 = 0; i < kh; i++) {
      for (let j: i32 = 0; j < kw; j++) {
        for (let b: i32 = 0; b < n; b++) {
          const base = dx + ((<usize>(b * cin + ci) * <usize>(h * w)) << 2);
          for (let oh: i32 = 0; oh < outH; oh++) {
            const ih = oh * sh - pt + i;
            if (ih < 0 || ih >= h) {
              o += <usize>outW << 2;
              continue;
            }
            const row = base + ((<usize>(ih * w)) << 2);
            for (let ow: i32 = 0; ow < outW; ow++, o += 4) {
              const iw = ow * sw - pl + j;
              if (iw >= 0 && iw < w) {
                const p = row + (<usize>iw << 2);
                store<f32>(p, load<f32>(p) + load<f32>(o));
              }
            }
          }
        }
      }
    }
  }
}

/** [a, b, P] -> [b, a, P] (NCHW <-> CNHW with P = H*W). */
export function swapOuter(src: usize, dst: usize, a: i32, b: i32, P: i32): void {
  const run = <usize>P << 2;
  for (let i: i32 = 0; i < a; i++) {
    for (let j: i32 = 0; j < b; j++) memory.copy(dst + <usize>(j * a + i) * run, src + <usize>(i * b + j) * run, run);
  }
}
