import type { Conv2dGeometry } from '../../backend.ts';
import type { ScalarType } from '../runtime.ts';
import type { Operands } from './gemm.ts';

/**
 * The three convolutions as tiled products over virtual im2col matrices (see gemm.ts), each
 * generated for one geometry: channels, image, kernel, strides and padding are WGSL constants, so
 * the index arithmetic of every gathered element divides by constants (a multiply and a shift)
 * instead of by uniforms (a long emulated division on GPUs, scalar code on llvmpipe). Only the
 * batch size stays a uniform (through N or K). A network has a few distinct geometries, hence a few
 * pipelines.
 */

/** Convolution and pooling geometry as uniforms, in the order `convParams` writes them (pooling). */
export const CONV_PARAMS: ReadonlyArray<readonly [string, ScalarType]> = [
  ['n', 'u32'], ['cin', 'u32'], ['h', 'u32'], ['w', 'u32'], ['cout', 'u32'], ['kh', 'u32'], ['kw', 'u32'],
  ['sh', 'u32'], ['sw', 'u32'], ['padT', 'i32'], ['padL', 'i32'], ['outH', 'u32'], ['outW', 'u32'],
];

export function convParams(g: Conv2dGeometry): number[] {
  return [g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW];
}

/**
 * Forward convolution: y[n, co, p] = sum over k = (ci, i, j) of w[co, k] x col[k, (n, p)], with
 * M = cout, N = batch x outH x outW, K = cin x kh x kw.
 */
const FORWARD: Omit<Operands, 'name'> = {
  params: [],
  a: 'W',
  b: 'X',
  outputs: ['Y'],
  aContiguous: 'k',
  bContiguous: 'n',
  load: `alias RowA = u32;
fn rowA(m: u32) -> RowA { return m * p.K; }
fn loadA(base: RowA, k: u32) -> f32 { return W[base + k]; }
struct ColB { base: u32, ih: i32, iw: i32 }
fn colB(n: u32) -> ColB {
  let P = G_OH * G_OW;
  let img = n / P;
  let q = n - img * P;
  let oh = q / G_OW;
  let ow = q - oh * G_OW;
  return ColB(img * G_CIN * G_H * G_W, i32(oh * G_SH) - G_PT, i32(ow * G_SW) - G_PL);
}
fn loadB(c: ColB, k: u32) -> f32 {
  let kk = G_KH * G_KW;
  let ci = k / kk;
  let r = k - ci * kk;
  let i = r / G_KW;
  let ih = c.ih + i32(i);
  let iw = c.iw + i32(r - i * G_KW);
  if (ih < 0 || iw < 0 || ih >= i32(G_H) || iw >= i32(G_W)) { return 0.0; }
  return X[c.base + (ci * G_H + u32(ih)) * G_W + u32(iw)];
}
`,
  store: `fn storeC(m: u32, n: u32, v: f32) {
  let P = G_OH * G_OW;
  let img = n / P;
  Y[(img * G_COUT + m) * P + (n - img * P)] = v;
}
`,
};

/**
 * Weight gradient: dw[co, (ci, i, j)] = sum over k = (n, p) of dy[n, co, p] x col[(ci, i, j), (n, p)],
 * with M = cout, N = cin x kh x kw, K = batch x outH x outW (long: this one splits K).
 */
const GRAD_WEIGHT: Omit<Operands, 'name'> = {
  params: [],
  a: 'DY',
  b: 'X',
  outputs: ['DW'],
  aContiguous: 'k',
  bContiguous: 'k',
  load: `alias RowA = u32;
fn rowA(m: u32) -> RowA { return m; }
fn loadA(co: RowA, k: u32) -> f32 {
  let P = G_OH * G_OW;
  let img = k / P;
  return DY[(img * G_COUT + co) * P + (k - img * P)];
}
struct ColB { plane: u32, i: i32, j: i32 }
fn colB(n: u32) -> ColB {
  let kk = G_KH * G_KW;
  let ci = n / kk;
  let r = n - ci * kk;
  let i = r / G_KW;
  return ColB(ci * G_H * G_W, i32(i) - G_PT, i32(r - i * G_KW) - G_PL);
}
fn loadB(c: ColB, k: u32) -> f32 {
  let P = G_OH * G_OW;
  let img = k / P;
  let q = k - img * P;
  let oh = q / G_OW;
  let ih = i32(oh * G_SH) + c.i;
  let iw = i32((q - oh * G_OW) * G_SW) + c.j;
  if (ih < 0 || iw < 0 || ih >= i32(G_H) || iw >= i32(G_W)) { return 0.0; }
  return X[img * G_CIN * G_H * G_W + c.plane + u32(ih) * G_W + u32(iw)];
}
`,
  store: `fn storeC(m: u32, n: u32, v: f32) { DW[m * p.N + n] = v; }
`,
};

/**
 * Input gradient as a product (the adjoint of im2col, gathered rather than scattered, so no two
 * threads write one element): dx[n, ci, (ih, iw)] = sum over k = (co, i, j) of w[co, ci, i, j] x
 * dy[n, co, (ih + pad - i) / s, (iw + pad - j) / s] where those divide exactly and fall inside,
 * with M = cin, N = batch x h x w, K = cout x kh x kw.
 */
const GRAD_INPUT: Omit<Operands, 'name'> = {
  params: [],
  a: 'W',
  b: 'DY',
  outputs: ['DX'],
  aContiguous: 'k',
  bContiguous: 'n',
  load: `alias RowA = u32;
fn rowA(m: u32) -> RowA { return m; }
fn loadA(ci: RowA, k: u32) -> f32 {
  let kk = G_KH * G_KW;
  let co = k / kk;
  return W[(co * G_CIN + ci) * kk + (k - co * kk)];
}
struct ColB { base: u32, ih: i32, iw: i32 }
fn colB(n: u32) -> ColB {
  let hw = G_H * G_W;
  let img = n / hw;
  let q = n - img * hw;
  let ih = q / G_W;
  return ColB(img * G_COUT * G_OH * G_OW, i32(ih) + G_PT, i32(q - ih * G_W) + G_PL);
}
fn loadB(c: ColB, k: u32) -> f32 {
  let kk = G_KH * G_KW;
  let co = k / kk;
  let r = k - co * kk;
  let i = r / G_KW;
  let th = c.ih - i32(i);
  let tw = c.iw - i32(r - i * G_KW);
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = u32(th) / G_SH;
  let ow = u32(tw) / G_SW;
  if (oh * G_SH != u32(th) || ow * G_SW != u32(tw) || oh >= G_OH || ow >= G_OW) { return 0.0; }
  return DY[c.base + (co * G_OH + oh) * G_OW + ow];
}
`,
  store: `fn storeC(m: u32, n: u32, v: f32) {
  let hw = G_H * G_W;
  let img = n / hw;
  DX[(img * G_CIN + m) * hw + (n - img * hw)] = v;
}
`,
};

const KINDS = { forward: FORWARD, gradWeight: GRAD_WEIGHT, gradInput: GRAD_INPUT };
const cache = new Map<string, Operands>();

/** The operands of one convolution product for one geometry (the batch size aside), memoised. */
export function convOperands(kind: keyof typeof KINDS, g: Conv2dGeometry): Operands {
  const sig = `${g.cin}x${g.h}x${g.w}_${g.cout}_${g.kh}x${g.kw}_s${g.strideH}x${g.strideW}_p${g.padTop}x${g.padLeft}_o${g.outH}x${g.outW}`;
  const name = `conv_${kind}_${sig}`;
  let op = cache.get(name);
  if (!op) {
    const constants = [
      `const G_CIN = ${g.cin}u;`, `const G_H = ${g.h}u;`, `const G_W = ${g.w}u;`, `const G_COUT = ${g.cout}u;`,
      `const G_KH = ${g.kh}u;`, `const G_KW = ${g.kw}u;`, `const G_SH = ${g.strideH}u;`, `const G_SW = ${g.strideW}u;`,
      `const G_PT = ${g.padTop}i;`, `const G_PL = ${g.padLeft}i;`, `const G_OH = ${g.outH}u;`, `const G_OW = ${g.outW}u;`,
    ].join('\n');
    const base = KINDS[kind];
    op = { ...base, name, prelude: constants };
    cache.set(name, op);
  }
  return op;
}
