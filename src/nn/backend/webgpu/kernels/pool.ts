import { CONV_PARAMS } from './conv.ts';
import { elementwise, type KernelSpec } from '../runtime.ts';

/**
 * Max and average pooling over NCHW, one thread per output; their gradients one thread per
 * input, gathering from every window that covers it (no two threads write one element, so
 * overlapping windows need no atomics).
 */

const PARAMS = [['count', 'u32'], ...CONV_PARAMS] as const;

/** The output (oh, ow) and the plane nc of output element i. */
const OUTPUT = `  let plane = p.outH * p.outW;
  let nc = i / plane;
  let q = i - nc * plane;
  let oh = q / p.outW;
  let ow = q - oh * p.outW;
  let h0 = i32(oh * p.sh) - p.padT;
  let w0 = i32(ow * p.sw) - p.padL;
  let base = nc * p.h * p.w;`;

/** The input (ih, iw) of element i and the range of windows [oh0, oh1] x [ow0, ow1] covering it. */
const INPUT = `  let plane = p.h * p.w;
  let nc = i / plane;
  let q = i - nc * plane;
  let ih = q / p.w;
  let iw = q - ih * p.w;
  let th = i32(ih) + p.padT;
  let tw = i32(iw) + p.padL;
  let oh0 = u32(max(0, (th - i32(p.kh) + i32(p.sh)) / i32(p.sh)));
  let ow0 = u32(max(0, (tw - i32(p.kw) + i32(p.sw)) / i32(p.sw)));
  let oh1 = min(p.outH, u32(th) / p.sh + 1u);
  let ow1 = min(p.outW, u32(tw) / p.sw + 1u);
  let obase = nc * p.outH * p.outW;`;

export const MAX_POOL: KernelSpec = {
  name: 'max_pool',
  params: PARAMS,
  buffers: [['x', 'read'], ['y', 'write'], ['argmax', 'write']],
  code: elementwise(
    `${OUTPUT}
  var negInf = 0xff800000u; // a variable: WGSL constant expressions may not hold infinities
  var best = bitcast<f32>(negInf); // -Infinity, as on the CPU
  var at = -1;
  for (var a = 0u; a < p.kh; a = a + 1u) {
    let ih = h0 + i32(a);
    if (ih < 0 || ih >= i32(p.h)) { continue; }
    for (var b = 0u; b < p.kw; b = b + 1u) {
      let iw = w0 + i32(b);
      if (iw < 0 || iw >= i32(p.w)) { continue; }
      let v = x[base + u32(ih) * p.w + u32(iw)];
      if (v > best) { best = v; at = ih * i32(p.w) + iw; }
    }
  }
  y[i] = best;
  argmax[i] = f32(at);`,
    'p.count',
  ),
};

export const MAX_POOL_GRAD: KernelSpec = {
  name: 'max_pool_grad',
  params: PARAMS,
  buffers: [['dy', 'read'], ['argmax', 'read'], ['dx', 'write']],
  code: elementwise(
    `${INPUT}
  let me = f32(ih * p.w + iw);
  var s = 0.0;
  for (var oh = oh0; oh < oh1; oh = oh + 1u) {
    for (var ow = ow0; ow < ow1; ow = ow + 1u) {
      let o = obase + oh * p.outW + ow;
      if (argmax[o] == me) { s = s + dy[o]; }
    }
  }
  dx[i] = s;`,
    'p.count',
  ),
};

/** Cells of window (oh, ow) inside the image: ONNX count_include_pad = 0. */
const WINDOW_COUNT = `fn windowCount(oh: u32, ow: u32) -> f32 {
  let h0 = i32(oh * p.sh) - p.padT;
  let w0 = i32(ow * p.sw) - p.padL;
  let rows = min(h0 + i32(p.kh), i32(p.h)) - max(h0, 0);
  let cols = min(w0 + i32(p.kw), i32(p.w)) - max(w0, 0);
  return f32(max(rows, 0) * max(cols, 0));
}
`;

export const AVG_POOL: KernelSpec = {
  name: 'avg_pool',
  params: PARAMS,
  buffers: [['x', 'read'], ['y', 'write']],
  code:
    WINDOW_COUNT +
    elementwise(
      `${OUTPUT}
  var s = 0.0;
  for (var a = 0u; a < p.kh; a = a + 1u) {
    let ih = h0 + i32(a);
    if (ih < 0 || ih >= i32(p.h)) { continue; }
    for (var b = 0u; b < p.kw; b = b + 1u) {
      let iw = w0 + i32(b);
      if (iw < 0 || iw >= i32(p.w)) { continue; }
      s = s + x[base + u32(ih) * p.w + u32(iw)];
    }
  }
  let n = windowCount(oh, ow);
  y[i] = select(0.0, s / n, n > 0.0);`,
      'p.count',
    ),
};

export const AVG_POOL_GRAD: KernelSpec = {
  name: 'avg_pool_grad',
  params: PARAMS,
  buffers: [['dy', 'read'], ['dx', 'write']],
  code:
    WINDOW_COUNT +
    elementwise(
      `${INPUT}
  var s = 0.0;
  for (var oh = oh0; oh < oh1; oh = oh + 1u) {
    for (var ow = ow0; ow < ow1; ow = ow + 1u) {
      s = s + dy[obase + oh * p.outW + ow] / windowCount(oh, ow);
    }
  }
  dx[i] = s;`,
      'p.count',
    ),
};
