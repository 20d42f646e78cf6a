export type FloatArray = Float32Array | Float64Array;

/**
 * C[M,N] = op(A)[M,K] x op(B)[K,N] (+ C when `accumulate`), on row-major arrays at the given
 * offsets. op(A) is A ([M,K]) or A transposed (A stored [K,M]); likewise for B.
 *
 * Plain TypeScript, loop orders chosen so that the innermost loop walks memory contiguously.
 * It is the reference the WASM SIMD kernels are tested against.
 */
export function gemm(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number,
  B: FloatArray, bOff: number,
  C: FloatArray, cOff: number,
  transA: boolean, transB: boolean, accumulate: boolean,
): void {
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  if (!transB) {
    // C[i, :] += op(A)[i, k] * B[k, :]
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * N;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[aOff + k * M + i] : A[aOff + i * K + k];
        if (a === 0) continue;
        const bk = bOff + k * N;
        for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
      }
    }
    return;
  }
  if (!transA) {
    // C[i, j] += dot(A[i, :], B[j, :]), four columns at a time.
    for (let i = 0; i < M; i++) {
      const ai = aOff + i * K;
      const ci = cOff + i * N;
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const b0 = bOff + j * K;
        const b1 = b0 + K;
        const b2 = b1 + K;
        const b3 = b2 + K;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = 0; k < K; k++) {
          const a = A[ai + k];
          s0 += a * B[b0 + k];
          s1 += a * B[b1 + k];
          s2 += a * B[b2 + k];
          s3 += a * B[b3 + k];
        }
        C[ci + j] += s0;
        C[ci + j + 1] += s1;
        C[ci + j + 2] += s2;
        C[ci + j + 3] += s3;
      }
      for (; j < N; j++) {
        const bj = bOff + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[ai + k] * B[bj + k];
        C[ci + j] += s;
      }
    }
    return;
  }
  // Both transposed: C[i, j] += sum_k A[k, i] * B[j, k].
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * N;
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[aOff + k * M + i] * B[bOff + j * K + k];
      C[ci + j] += s;
    }
  }
}
