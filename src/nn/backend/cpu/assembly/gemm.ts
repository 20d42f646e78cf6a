// Matrix products C[M,N] = op(A)[M,K] x op(B)[K,N] (+ C when accumulate) over row-major float32
// matrices in linear memory. Pointers are byte offsets. WASM SIMD is 128 bits (4 floats) and has
// 16 vector registers on x64 (V8 keeps one as scratch), which sizes the register tiles below.
//
// Two micro-kernels cover every transpose without packing the large operand:
// - op(B) rows contiguous (B not transposed): an outer-product kernel. It broadcasts 4 values of
//   op(A) (any layout: a stride apart) and multiplies them by 2 vectors of B's row k, keeping a
//   4x8 tile of C in 8 registers across the whole k loop.
// - B transposed and A not (x W^T, the dense forward pass): a dot-product kernel. Rows of A and
//   rows of B are both contiguous in k, so it keeps 2x4 dot products as 8 vector partial sums and
//   folds them horizontally once at the end.

const KC: i32 = 256; // k block of the outer-product kernel: its B block stays in L2 across i tiles
const NB: i32 = 512; // column block of the outer-product kernel; KC x NB floats of packed B = 512 KiB

/** Where the outer-product kernel packs B: KC x NB floats the host sets aside (one per instance, so per thread). */
let packArea: usize = 0;

/** Bytes the host must set aside for `setPackArea`. */
export function packAreaBytes(): usize {
  return <usize>(KC * NB) << 2;
}

export function setPackArea(p: usize): void {
  packArea = p;
}

// --- entry point -----------------------------------------------------------------------------

export function gemm(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, transA: i32, transB: i32, accumulate: i32): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(M * N) << 2);
    return;
  }
  if (!transB) {
    // op(A)[i, k] = A[i*K + k] or A[k*M + i]
    const rowStride: i32 = transA ? 1 : K;
    const kStride: i32 = transA ? M : 1;
    outerProduct(M, N, K, a, rowStride, kStride, b, c, accumulate);
  } else if (!transA) {
    dotProduct(M, N, K, a, b, c, accumulate);
  } else {
    bothTransposed(M, N, K, a, b, c, accumulate);
  }
}

/**
 * C[M,N] (+)= A[0:K, 0:M]^T x B[K,N] where A's rows lie `lda` floats apart: the product over
 * columns [j, j + M) of a wider A (pass a + 4j). Data-parallel training computes one slice of a
 * dense layer's weight gradient this way, from every replica's rows of dE/dy.
 */
export function gemmTransALd(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, c: usize, accumulate: i32): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(M * N) << 2);
    return;
  }
  outerProduct(M, N, K, a, 1, lda, b, c, accumulate);
}

// --- outer-product kernel: op(B) = B, [K, N] row-major ------------------------------------------

function outerProduct(M: i32, N: i32, K: i32, a: usize, rs: i32, ks: i32, b: usize, c: usize, accumulate: i32): void {
  for (let k0: i32 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const acc = k0 > 0 ? 1 : accumulate;
    const ak = a + ((<usize>k0 * <usize>ks) << 2);
    const bk = b + ((<usize>k0 * <usize>N) << 2);
    for (let j0: i32 = 0; j0 < N; j0 += NB) {
      const nb = min(NB, N - j0);
      outerBlock(M, N, nb, kc, ak, rs, ks, bk + (<usize>j0 << 2), c + (<usize>j0 << 2), acc);
    }
  }
}

/**
 * C[:, 0:nb] (row stride N) += op(A)[:, 0:kc] x B[0:kc, 0:nb] (B row stride N). With enough rows
 * to pay for it, the whole 8-column panels of B are first copied into `packArea` (kc x 8 floats
 * each, contiguous), so that the tiles stream B sequentially instead of one 32-byte piece per
 * row of B (a third faster for the dense layers' weight gradient).
 */
function outerBlock(M: i32, N: i32, nb: i32, kc: i32, a: usize, rs: i32, ks: i32, b: usize, c: usize, acc: i32): void {
  const N4 = <usize>N << 2;
  const rs4 = <usize>rs << 2;
  const ks4 = <usize>ks << 2;
  const nb8 = nb & ~7;
  const packed = M >= 8 && packArea != 0;
  const panel: usize = packed ? <usize>kc << 5 : 32; // bytes from one 8-column panel to the next
  const base = packed ? packArea : b;
  const bs: usize = packed ? 32 : N4; // bytes from row k to row k + 1 of a panel
  if (packed) for (let j: i32 = 0; j < nb8; j += 8) {
    let src = b + (<usize>j << 2);
    let dst = packArea + <usize>(j >> 3) * panel;
    for (let k: i32 = 0; k < kc; k++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += N4;
      dst += 32;
    }
  }
  let i: i32 = 0;
  for (; i + 4 <= M; i += 4) {
    const ai = a + <usize>i * rs4;
    const ci = c + <usize>i * N4;
    let j: i32 = 0;
    for (; j < nb8; j += 8) tile4x8(kc, ai, rs4, ks4, base + <usize>(j >> 3) * panel, bs, ci + (<usize>j << 2), N4, acc);
    for (; j + 4 <= nb; j += 4) tile4x4(kc, ai, rs4, ks4, b + (<usize>j << 2), N4, ci + (<usize>j << 2), acc);
    for (; j < nb; j++) {
      for (let r: i32 = 0; r < 4; r++) scalarDot(kc, ai + <usize>r * rs4, ks4, b + (<usize>j << 2), N4, ci + <usize>r * N4 + (<usize>j << 2), acc);
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * rs4;
    const ci = c + <usize>i * N4;
    let j: i32 = 0;
    for (; j < nb8; j += 8) tile1x8(kc, ai, ks4, base + <usize>(j >> 3) * panel, bs, ci + (<usize>j << 2), acc);
    for (; j < nb; j++) scalarDot(kc, ai, ks4, b + (<usize>j << 2), N4, ci + (<usize>j << 2), acc);
  }
}

// @ts-ignore: decorator
@inline function madd(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

// @ts-ignore: decorator
@inline function put(p: usize, v: v128, acc: i32): void {
  v128.store(p, acc ? f32x4.add(v128.load(p), v) : v);
}

/** C[0:4, 0:8] (row stride cs4 bytes) (+)= op(A) rows x B's 8 columns (row stride bs4 bytes). */
function tile4x8(kc: i32, a: usize, rs4: usize, ks4: usize, b: usize, bs4: usize, c: usize, cs4: usize, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let p0 = a, p1 = a + rs4, p2 = a + 2 * rs4, p3 = a + 3 * rs4;
  let pb = b;
  for (let k: i32 = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(p0);
    c00 = madd(c00, x, b0); c01 = madd(c01, x, b1);
    x = v128.load32_splat(p1);
    c10 = madd(c10, x, b0); c11 = madd(c11, x, b1);
    x = v128.load32_splat(p2);
    c20 = madd(c20, x, b0); c21 = madd(c21, x, b1);
    x = v128.load32_splat(p3);
    c30 = madd(c30, x, b0); c31 = madd(c31, x, b1);
    p0 += ks4; p1 += ks4; p2 += ks4; p3 += ks4;
    pb += bs4;
  }
  put(c, c00, acc); put(c + 16, c01, acc); c += cs4;
  put(c, c10, acc); put(c + 16, c11, acc); c += cs4;
  put(c, c20, acc); put(c + 16, c21, acc); c += cs4;
  put(c, c30, acc); put(c + 16, c31, acc);
}

function tile4x4(kc: i32, a: usize, rs4: usize, ks4: usize, b: usize, N4: usize, c: usize, acc: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let p0 = a, p1 = a + rs4, p2 = a + 2 * rs4, p3 = a + 3 * rs4;
  let pb = b;
  for (let k: i32 = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(p0), b0);
    c1 = madd(c1, v128.load32_splat(p1), b0);
    c2 = madd(c2, v128.load32_splat(p2), b0);
    c3 = madd(c3, v128.load32_splat(p3), b0);
    p0 += ks4; p1 += ks4; p2 += ks4; p3 += ks4;
    pb += N4;
  }
  put(c, c0, acc); c += N4;
  put(c, c1, acc); c += N4;
  put(c, c2, acc); c += N4;
  put(c, c3, acc);
}

/** C[0, 0:8] (+)= one row of op(A) x B's 8 columns (row stride bs4 bytes). */
function tile1x8(kc: i32, a: usize, ks4: usize, b: usize, bs4: usize, c: usize, acc: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  for (let k: i32 = 0; k < kc; k++) {
    const x = v128.load32_splat(pa);
    c0 = madd(c0, x, v128.load(pb));
    c1 = madd(c1, x, v128.load(pb, 16));
    pa += ks4;
    pb += bs4;
  }
  put(c, c0, acc);
  put(c + 16, c1, acc);
}

/** c[0] (+)= sum over k of a[k*ks4] * b[k*N4]. */
function scalarDot(kc: i32, a: usize, ks4: usize, b: usize, N4: usize, c: usize, acc: i32): void {
  let s: f32 = 0;
  for (let k: i32 = 0; k < kc; k++) {
    s += load<f32>(a) * load<f32>(b);
    a += ks4;
    b += N4;
  }
  store<f32>(c, acc ? load<f32>(c) + s : s);
}

// --- dot-product kernel: C = A x B^T, A [M, K], B [N, K] ------------------------------------------

function dotProduct(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, acc: i32): void {
  const K4 = <usize>K << 2;
  const N4 = <usize>N << 2;
  // Row block of A that stays in L2 (about 512 KiB) while 4 rows of B at a time sit in L1.
  let MB: i32 = (131072 / max(K, 1)) & ~1;
  if (MB < 2) MB = 2;
  for (let i0: i32 = 0; i0 < M; i0 += MB) {
    const mb = min(MB, M - i0);
    let j: i32 = 0;
    for (; j + 4 <= N; j += 4) {
      const bj = b + <usize>j * K4;
      let i: i32 = i0;
      for (; i + 2 <= i0 + mb; i += 2) dot2x4(K, a + <usize>i * K4, K4, bj, c + <usize>i * N4 + (<usize>j << 2), N4, acc);
      for (; i < i0 + mb; i++) dot1x4(K, a + <usize>i * K4, bj, K4, c + <usize>i * N4 + (<usize>j << 2), acc);
    }
    for (; j < N; j++) {
      const bj = b + <usize>j * K4;
      for (let i: i32 = i0; i < i0 + mb; i++) dot1x1(K, a + <usize>i * K4, bj, c + <usize>i * N4 + (<usize>j << 2), acc);
    }
  }
}

/** [sum(x0), sum(x1), sum(x2), sum(x3)] */
// @ts-ignore: decorator
@inline function hsum4(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), v128.shuffle<f32>(x0, x1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), v128.shuffle<f32>(x2, x3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

function dot2x4(K: i32, a: usize, K4: usize, b: usize, c: usize, N4: usize, acc: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  const a1 = a + K4;
  const b1 = b + K4, b2 = b + 2 * K4, b3 = b + 3 * K4;
  const K4v = <usize>(K & ~3) << 2;
  let o: usize = 0;
  for (; o < K4v; o += 16) {
    const x0 = v128.load(a + o);
    const x1 = v128.load(a1 + o);
    let y = v128.load(b + o);
    s00 = madd(s00, x0, y); s10 = madd(s10, x1, y);
    y = v128.load(b1 + o);
    s01 = madd(s01, x0, y); s11 = madd(s11, x1, y);
    y = v128.load(b2 + o);
    s02 = madd(s02, x0, y); s12 = madd(s12, x1, y);
    y = v128.load(b3 + o);
    s03 = madd(s03, x0, y); s13 = madd(s13, x1, y);
  }
  let r0 = hsum4(s00, s01, s02, s03);
  let r1 = hsum4(s10, s11, s12, s13);
  for (; o < K4; o += 4) {
    const x0 = v128.load32_splat(a + o);
    const x1 = v128.load32_splat(a1 + o);
    const y = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(b + o)), 1, load<f32>(b1 + o)), 2, load<f32>(b2 + o)), 3, load<f32>(b3 + o));
    r0 = madd(r0, x0, y);
    r1 = madd(r1, x1, y);
  }
  put(c, r0, acc);
  put(c + N4, r1, acc);
}

function dot1x4(K: i32, a: usize, b: usize, K4: usize, c: usize, acc: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  const b1 = b + K4, b2 = b + 2 * K4, b3 = b + 3 * K4;
  const K4v = <usize>(K & ~3) << 2;
  let o: usize = 0;
  for (; o < K4v; o += 16) {
    const x = v128.load(a + o);
    s0 = madd(s0, x, v128.load(b + o));
    s1 = madd(s1, x, v128.load(b1 + o));
    s2 = madd(s2, x, v128.load(b2 + o));
    s3 = madd(s3, x, v128.load(b3 + o));
  }
  let r = hsum4(s0, s1, s2, s3);
  for (; o < K4; o += 4) {
    const y = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(b + o)), 1, load<f32>(b1 + o)), 2, load<f32>(b2 + o)), 3, load<f32>(b3 + o));
    r = madd(r, v128.load32_splat(a + o), y);
  }
  put(c, r, acc);
}

function dot1x1(K: i32, a: usize, b: usize, c: usize, acc: i32): void {
  let s = f32x4.splat(0);
  const K4v = <usize>(K & ~3) << 2;
  const K4 = <usize>K << 2;
  let o: usize = 0;
  for (; o < K4v; o += 16) s = madd(s, v128.load(a + o), v128.load(b + o));
  let r: f32 = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; o < K4; o += 4) r += load<f32>(a + o) * load<f32>(b + o);
  store<f32>(c, acc ? load<f32>(c) + r : r);
}

// --- both transposed: C[i, j] = sum over k of A[k, i] * B[j, k] (no layer needs it: plain loops) ---

function bothTransposed(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, acc: i32): void {
  const M4 = <usize>M << 2;
  for (let i: i32 = 0; i < M; i++) {
    for (let j: i32 = 0; j < N; j++) {
      let s: f32 = 0;
      let pa = a + (<usize>i << 2);
      let pb = b + ((<usize>j * <usize>K) << 2);
      for (let k: i32 = 0; k < K; k++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += M4;
        pb += 4;
      }
      const pc = c + ((<usize>i * <usize>N + <usize>j) << 2);
      store<f32>(pc, acc ? load<f32>(pc) + s : s);
    }
  }
}
