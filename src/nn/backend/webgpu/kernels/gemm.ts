import { WORKGROUP, type KernelSpec, type ScalarType } from '../runtime.ts';

/**
 * A tiled matrix product C[M,N] = A[M,K] x B[K,N] in WGSL, generated for any way of reading A and
 * B and of writing C. Plain matrix products read rows and columns of stored matrices; the
 * convolutions read A or B as a virtual im2col matrix gathered from the image on the fly
 * ("implicit GEMM"), so no column buffer is ever materialised.
 *
 * Each workgroup (128 threads) computes a TM x TN tile of C, walking K in steps of BK: the A and
 * B panels go through workgroup memory, read back four values at a time, and each thread keeps an
 * RM x RN block of C in registers (the code is unrolled as text, so the block stays in registers on
 * every compiler). When the tiles alone cannot fill the GPU and K is long (weight
 * gradients of convolutions, where K = batch x pixels), K is split across workgroups
 * ("split-K"): each writes a partial product and a second kernel sums them in a fixed order, so
 * the result is deterministic.
 */

export const BK = 16;

/** Tile shapes: TM x TN outputs per workgroup, RM x RN per thread, (TM/RM) x (TN/RN) = 128 threads. */
export interface Tile {
  name: string;
  tm: number;
  tn: number;
  rm: number;
  rn: number;
}
export const SQUARE: Tile = { name: 's', tm: 64, tn: 64, rm: 8, rn: 4 };
export const WIDE: Tile = { name: 'w', tm: 32, tn: 128, rm: 4, rn: 8 };
export const TALL: Tile = { name: 't', tm: 128, tn: 32, rm: 8, rn: 4 };
/** Twice the outputs per thread (8 x 8): fewer panel reads per multiply-add, more registers. */
export const BIG: Tile = { name: 'b', tm: 64, tn: 128, rm: 8, rn: 8 };
export const TILES: readonly Tile[] = [SQUARE, WIDE, TALL, BIG];

/**
 * How a product reads its operands and writes its result, as WGSL:
 * - `struct RowA`, `fn rowA(m: u32) -> RowA`, `fn loadA(r: RowA, k: u32) -> f32`;
 * - `struct ColB`, `fn colB(n: u32) -> ColB`, `fn loadB(c: ColB, k: u32) -> f32`;
 * - `fn storeC(m: u32, n: u32, v: f32)`.
 * rowA/colB hold what depends only on the row or column, computed once per thread outside the K
 * loop; loadA/loadB are called only for m < M, n < N and k < K.
 */
export interface Operands {
  name: string;
  /** Extra uniforms after M, N, K, kChunk, splits. */
  params: ReadonlyArray<readonly [string, ScalarType]>;
  a: string;
  b: string;
  /** Buffers that storeC writes (and may read). */
  outputs: readonly string[];
  /** Which index of A (of B) is contiguous in memory, so that neighbouring threads load neighbours. */
  aContiguous: 'm' | 'k';
  bContiguous: 'k' | 'n';
  /** Declarations both the product and the reduction need (constants). */
  prelude?: string;
  /** rowA, loadA, colB, loadB (and their types). */
  load: string;
  /** storeC. */
  store: string;
}

const BASE_PARAMS = [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['kChunk', 'u32'], ['splits', 'u32']] as const;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The tile kernel; with `split` it writes partial products [splits, M, N] to `partial`. */
export function gemmKernel(op: Operands, tile: Tile, split: boolean): KernelSpec {
  const { tm, tn, rm, rn } = tile;
  const tx = tn / rn;
  const ty = tm / rm;
  if (tx * ty !== WORKGROUP) throw new Error(`tile ${tile.name} does not use ${WORKGROUP} threads`);
  // Panels are stored k-major, padded by four floats so that rows stay 16-byte aligned, and read
  // as vec4: a thread owns RM consecutive rows and RN consecutive columns of its block.
  const sa = tm + 4;
  const sb = tn + 4;
  const la = (tm * BK) / WORKGROUP;
  const lb = (tn * BK) / WORKGROUP;
  // Tile-local coordinates of the r-th element a thread loads: neighbours along the contiguous index.
  const aCoord = (r: number) =>
    op.aContiguous === 'k'
      ? { mm: `((t + ${r * WORKGROUP}u) / ${BK}u)`, kk: `((t + ${r * WORKGROUP}u) % ${BK}u)` }
      : { mm: `((t + ${r * WORKGROUP}u) % ${tm}u)`, kk: `((t + ${r * WORKGROUP}u) / ${tm}u)` };
  const bCoord = (r: number) =>
    op.bContiguous === 'n'
      ? { nn: `((t + ${r * WORKGROUP}u) % ${tn}u)`, kk: `((t + ${r * WORKGROUP}u) / ${tn}u)` }
      : { nn: `((t + ${r * WORKGROUP}u) / ${BK}u)`, kk: `((t + ${r * WORKGROUP}u) % ${BK}u)` };
  const comp = ['x', 'y', 'z', 'w'];

  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);
  emit(`var<workgroup> As: array<vec4f, ${(BK * sa) / 4}>;`);
  emit(`var<workgroup> Bs: array<vec4f, ${(BK * sb) / 4}>;`);
  emit(op.prelude ?? '');
  emit(op.load);
  if (!split) emit(op.store);
  if (split) emit(`fn storePartial(z: u32, m: u32, n: u32, v: f32) { partial[(z * p.M + m) * p.N + n] = v; }`);
  emit(`@compute @workgroup_size(${WORKGROUP})`);
  emit(`fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {`);
  emit(`  let m0 = wid.y * ${tm}u;`);
  emit(`  let n0 = wid.x * ${tn}u;`);
  emit(`  let kBegin = wid.z * p.kChunk;`);
  emit(`  let kEnd = min(p.K, kBegin + p.kChunk);`);
  emit(`  let tx = t % ${tx}u;`);
  emit(`  let ty = t / ${tx}u;`);
  for (const r of range(la)) {
    const { mm, kk } = aCoord(r);
    emit(`  let am${r} = ${mm}; let ak${r} = ${kk}; let av${r} = m0 + am${r} < p.M; let ar${r} = rowA(min(m0 + am${r}, p.M - 1u));`);
    emit(`  let as${r} = ak${r} * ${sa}u + am${r};`);
  }
  for (const r of range(lb)) {
    const { nn, kk } = bCoord(r);
    emit(`  let bn${r} = ${nn}; let bk${r} = ${kk}; let bv${r} = n0 + bn${r} < p.N; let bc${r} = colB(min(n0 + bn${r}, p.N - 1u));`);
    emit(`  let bs${r} = bk${r} * ${sb}u + bn${r};`);
  }
  for (const i of range(rm)) emit(`  ${range(rn).map((j) => `var c${i}_${j} = 0.0;`).join(' ')}`);
  emit(`  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${BK}u) {`);
  for (const r of range(la)) {
    emit(`    { let k = k0 + ak${r}; var v = 0.0; if (av${r} && k < kEnd) { v = loadA(ar${r}, k); } As[as${r} / 4u][as${r} % 4u] = v; }`);
  }
  for (const r of range(lb)) {
    emit(`    { let k = k0 + bk${r}; var v = 0.0; if (bv${r} && k < kEnd) { v = loadB(bc${r}, k); } Bs[bs${r} / 4u][bs${r} % 4u] = v; }`);
  }
  emit(`    workgroupBarrier();`);
  emit(`    for (var kk = 0u; kk < ${BK}u; kk = kk + 1u) {`);
  emit(`      let ao = kk * ${sa / 4}u + ty * ${rm / 4}u;`);
  emit(`      let bo = kk * ${sb / 4}u + tx * ${rn / 4}u;`);
  for (const q of range(rm / 4)) emit(`      let a${q} = As[ao + ${q}u];`);
  for (const q of range(rn / 4)) emit(`      let b${q} = Bs[bo + ${q}u];`);
  for (const i of range(rm)) {
    const a = `a${i >> 2}.${comp[i & 3]}`;
    emit(`      ${range(rn).map((j) => `c${i}_${j} = fma(${a}, b${j >> 2}.${comp[j & 3]}, c${i}_${j});`).join(' ')}`);
  }
  emit(`    }`);
  emit(`    workgroupBarrier();`);
  emit(`  }`);
  for (const i of range(rm)) {
    emit(`  { let m = m0 + ty * ${rm}u + ${i}u; if (m < p.M) {`);
    for (const j of range(rn)) {
      const store = split ? `storePartial(wid.z, m, n, c${i}_${j})` : `storeC(m, n, c${i}_${j})`;
      emit(`    { let n = n0 + tx * ${rn}u + ${j}u; if (n < p.N) { ${store}; } }`);
    }
    emit(`  } }`);
  }
  emit(`}`);
  return {
    name: `gemm_${op.name}_${tile.name}${split ? '_split' : ''}`,
    params: [...BASE_PARAMS, ...op.params],
    buffers: [[op.a, 'read'], [op.b, 'read'], ...(split ? [['partial', 'write'] as const] : op.outputs.map((o) => [o, 'write'] as const))],
    code: lines.join('\n'),
  };
}

/** Sums the split-K partial products in order and stores them through the operands' storeC. */
export function gemmReduceKernel(op: Operands): KernelSpec {
  return {
    name: `gemm_${op.name}_reduce`,
    params: [...BASE_PARAMS, ...op.params],
    buffers: [['partial', 'read'], ...op.outputs.map((o) => [o, 'write'] as const)],
    code: `${op.prelude ?? ''}
${op.store}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  let mn = p.M * p.N;
  if (i >= mn) { return; }
  var s = 0.0;
  for (var z = 0u; z < p.splits; z = z + 1u) { s = s + partial[z * mn + i]; }
  storeC(i / p.N, i % p.N, s);
}
`,
  };
}

/** How to launch a product of this size: tile shape, K split and workgroup grid. */
export interface GemmPlan {
  tile: Tile;
  splits: number;
  kChunk: number;
  groups: [number, number, number];
}

/**
 * Enough workgroups to fill a large GPU (a few per multiprocessor), but a K slice of at least 256
 * so that the partial sums stay a small fraction of the work.
 */
const TARGET_GROUPS = 256;
const MIN_K_CHUNK = 256;

export function planGemm(M: number, N: number, K: number, forced?: Tile): GemmPlan {
  const tile = forced ?? (M <= 32 ? WIDE : N <= 32 ? TALL : SQUARE);
  const gx = Math.ceil(N / tile.tn);
  const gy = Math.ceil(M / tile.tm);
  let splits = 1;
  const tiles = gx * gy;
  if (tiles < TARGET_GROUPS && K >= 2 * MIN_K_CHUNK) {
    splits = Math.min(Math.ceil(TARGET_GROUPS / tiles), Math.floor(K / MIN_K_CHUNK), 64);
  }
  let kChunk = Math.ceil(Math.ceil(K / splits) / BK) * BK;
  if (splits === 1) kChunk = Math.max(kChunk, BK);
  splits = Math.ceil(K / kChunk);
  return { tile, splits, kChunk, groups: [gx, gy, splits] };
}

// --- the operands of the backend's products ---------------------------------------------------

/** op(A) x op(B) of stored row-major matrices, optionally added to C. */
export function matmulOperands(transA: boolean, transB: boolean): Operands {
  return {
    name: `mm_${transA ? 't' : 'n'}${transB ? 't' : 'n'}`,
    params: [['accumulate', 'u32']],
    a: 'A',
    b: 'B',
    outputs: ['C'],
    aContiguous: transA ? 'm' : 'k',
    bContiguous: transB ? 'k' : 'n',
    load: `alias RowA = u32;
fn rowA(m: u32) -> RowA { return m; }
fn loadA(m: RowA, k: u32) -> f32 { return A[${transA ? 'k * p.M + m' : 'm * p.K + k'}]; }
alias ColB = u32;
fn colB(n: u32) -> ColB { return n; }
fn loadB(n: ColB, k: u32) -> f32 { return B[${transB ? 'n * p.K + k' : 'k * p.N + n'}]; }
`,
  store: `fn storeC(m: u32, n: u32, v: f32) {
  let i = m * p.N + n;
  if (p.accumulate != 0u) { C[i] = C[i] + v; } else { C[i] = v; }
}
`,
  };
}
