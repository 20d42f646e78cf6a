import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationFn, Tensor } from '../../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import type { WasmBackend } from '../../../src/nn/backend/cpu/wasm-backend.ts';
import { relaxedSimdSupported, type KernelVariant } from '../../../src/nn/backend/cpu/wasm-kernels.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';

// Every WASM kernel against the TypeScript reference (or exact float64 sums for the matrix
// products), on random shapes including odd sizes, for both builds: plain SIMD and relaxed SIMD.
const relaxed = relaxedSimdSupported();
const variants: KernelVariant[] = relaxed ? ['simd', 'relaxed'] : ['simd'];
const ODD = [1, 3, 17, 63, 65, 127];

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal(0, scale));
}

/** C = op(A) op(B) in float64, and the sum of |terms| that bounds float32 rounding. */
function exactProduct(M: number, N: number, K: number, A: Float32Array, B: Float32Array, tA: boolean, tB: boolean) {
  const C = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let b = 0;
      for (let k = 0; k < K; k++) {
        const p = (tA ? A[k * M + i] : A[i * K + k]) * (tB ? B[j * K + k] : B[k * N + j]);
        s += p;
        b += Math.abs(p);
      }
      C[i * N + j] = s;
      bound[i * N + j] = b;
    }
  }
  return { C, bound };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = ''): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (at >= 0) expect.fail(`${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (rtol ${rtol}, atol ${atol})`);
}

describe.each(variants)('WASM kernels (%s build)', (variant) => {
  let W: WasmBackend;
  const R = new CpuBackend('float32');
  beforeAll(async () => {
    W = await nodeWasmBackend({ variant });
  });

  const pair = (shape: number[], data: Float32Array): [Tensor, Tensor] => [W.tensor(shape, data), R.tensor(shape, data)];
  const read = (t: Tensor) => W.readSync(t);
  const readR = (t: Tensor) => R.readSync(t);

  it('matrix products: every transpose, accumulate on and off, odd and random shapes', () => {
    const rng = new Rng(11);
    const shapes: Array<[number, number, number]> = [];
    for (const m of ODD) for (const n of [1, 17, 65]) for (const k of [1, 63, 127]) shapes.push([m, n, k]);
    for (let i = 0; i < 20; i++) shapes.push([1 + rng.int(130), 1 + rng.int(130), 1 + rng.int(300)]);
    shapes.push([64, 800, 784], [32, 784, 64], [10, 800, 64]); // the article's network, batch 64
    for (const [M, N, K] of shapes) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          for (const acc of [false, true]) {
            const A = randomArray(rng, M * K);
            const B = randomArray(rng, K * N);
            const C0 = randomArray(rng, M * N);
            const a = W.tensor(tA ? [K, M] : [M, K], A);
            const b = W.tensor(tB ? [N, K] : [K, N], B);
            const c = W.tensor([M, N], C0);
            W.matmul(a, b, c, tA, tB, acc);
            const { C, bound } = exactProduct(M, N, K, A, B, tA, tB);
            const got = read(c);
            for (let i = 0; i < M * N; i++) {
              const want = C[i] + (acc ? C0[i] : 0);
              const tol = 4e-7 * (bound[i] + (acc ? Math.abs(C0[i]) : 0)) * Math.sqrt(K + 1) + 1e-30;
              if (!(Math.abs(got[i] - want) <= tol)) {
                expect.fail(`[${M}x${N}x${K}] transA=${tA} transB=${tB} acc=${acc}: C[${i}] = ${got[i]}, want ${want} (tol ${tol})`);
              }
            }
            for (const t of [a, b, c]) W.dispose(t);
          }
        }
      }
    }
  });

  it('a product over a slice of columns of a transposed A (a slice of a dense weight gradient) matches exact sums', () => {
    const rng = new Rng(12);
    // [K, lda] x columns [col, col + M): the article's layer split in two, odd shapes, empty slices.
    for (const [K, lda, col, M, N] of [[32, 800, 400, 400, 784], [32, 800, 0, 80, 784], [7, 33, 5, 17, 9], [1, 5, 4, 1, 3], [64, 10, 4, 6, 800], [5, 9, 3, 0, 4]]) {
      for (const acc of [false, true]) {
        const A = randomArray(rng, K * lda);
        const B = randomArray(rng, K * N);
        const C0 = randomArray(rng, M * N);
        const a = W.tensor([K, lda], A);
        const b = W.tensor([K, N], B);
        const c = W.tensor([Math.max(M, 1), N], M ? C0 : randomArray(rng, N));
        const before = read(c).slice();
        W.matmulColumnsT(a, col, M, b, c, acc);
        const Aslice = Float32Array.from({ length: K * M }, (_, i) => A[Math.floor(i / M) * lda + col + (i % M)]);
        const { C, bound } = exactProduct(M, N, K, Aslice, B, true, false);
        const got = read(c);
        for (let i = 0; i < M * N; i++) {
          const want = C[i] + (acc ? C0[i] : 0);
          const tol = 4e-7 * (bound[i] + (acc ? Math.abs(C0[i]) : 0)) * Math.sqrt(K + 1) + 1e-30;
          if (!(Math.abs(got[i] - want) <= tol)) expect.fail(`[${K}x${lda}] columns ${col}+${M} x N=${N} acc=${acc}: C[${i}] = ${got[i]}, want ${want}`);
        }
        if (!M) expect(Array.from(got)).toEqual(Array.from(before)); // nothing written for an empty slice
        for (const t of [a, b, c]) W.dispose(t);
      }
    }
    const a = W.tensor([4, 10]);
    const b = W.tensor([4, 3]);
    const c = W.tensor([6, 3]);
    expect(() => W.matmulColumnsT(a, 5, 6, b, c, false)).toThrow(/do not fit/); // past a's last column
    expect(() => W.matmulColumnsT(a, 0, 6, W.tensor([3, 3]), c, false)).toThrow(/do not fit/); // K differs
    expect(() => W.matmulColumnsT(a, 0, 7, b, c, false)).toThrow(/do not fit/); // out too small
  });

  it('a matrix product matches the reference gemm and rejects shapes that do not fit', () => {
    const rng = new Rng(5);
    const [a, ar] = pair([17, 63], randomArray(rng, 17 * 63));
    const [b, br] = pair([65, 63], randomArray(rng, 65 * 63));
    const [c, cr] = pair([17, 65], new Float32Array(17 * 65));
    W.matmul(a, b, c, false, true, false);
    R.matmul(ar, br, cr, false, true, false);
    expectClose(read(c), readR(cr), 1e-5, 1e-5, 'x W^T');
    expect(() => W.matmul(a, b, c, false, false, false)).toThrow(/do not fit/);
  });

  it('bias add and bias gradient, dense (inner 1) and convolutional (inner > 1)', () => {
    const rng = new Rng(2);
    for (const [outer, C, inner] of [[64, 800, 1], [3, 17, 1], [5, 7, 9], [2, 3, 65]]) {
      const xv = randomArray(rng, outer * C * inner);
      const bv = randomArray(rng, C);
      const [x, xr] = pair([outer, C, inner], xv);
      const [bias, biasr] = pair([C], bv);
      W.addBias(x, bias, inner);
      R.addBias(xr, biasr, inner);
      expectClose(read(x), readR(xr), 0, 0, 'addBias');
      const [db, dbr] = pair([C], randomArray(rng, C));
      W.biasGrad(x, db, inner);
      R.biasGrad(xr, dbr, inner);
      expectClose(read(db), readR(dbr), 1e-5, 1e-5, 'biasGrad');
    }
  });

  it('activations and their gradients', () => {
    const rng = new Rng(3);
    for (const fn of ['linear', 'sigmoid', 'tanh', 'relu'] as ActivationFn[]) {
      for (const n of [...ODD, 4096]) {
        const xv = randomArray(rng, n, 4);
        if (n > 100) xv.set([0, -0, 1e-8, -1e-8, 0.62, -0.63, 88, -88, 100, -100, 1e-30]);
        const [x, xr] = pair([n], xv);
        const [y, yr] = pair([n], new Float32Array(n));
        W.activation(fn, x, y);
        R.activation(fn, xr, yr);
        expectClose(read(y), readR(yr), 4e-7, 1e-37, `${fn}(x), n=${n}`);
        const gv = randomArray(rng, n);
        const [g, gr] = pair([n], gv);
        const [dx, dxr] = pair([n], new Float32Array(n));
        // From the same outputs: near y = 1, 1 - y would magnify a last-bit difference in y.
        W.write(y, readR(yr));
        W.activationGrad(fn, y, g, dx);
        R.activationGrad(fn, yr, gr, dxr);
        expectClose(read(dx), readR(dxr), 1e-6, 1e-30, `${fn}'(x), n=${n}`);
      }
    }
  });

  it('softmax, its gradient, and element-wise products', () => {
    const rng = new Rng(4);
    for (const [rows, k] of [[1, 1], [3, 10], [17, 63], [64, 10]]) {
      const [x, xr] = pair([rows, k], randomArray(rng, rows * k, 3));
      const [y, yr] = pair([rows, k], new Float32Array(rows * k));
      W.softmax(x, y);
      R.softmax(xr, yr);
      expectClose(read(y), readR(yr), 1e-6, 1e-9, 'softmax');
      const [g, gr] = pair([rows, k], randomArray(rng, rows * k));
      const [d, dr] = pair([rows, k], new Float32Array(rows * k));
      W.softmaxGrad(y, g, d);
      R.softmaxGrad(yr, gr, dr);
      expectClose(read(d), readR(dr), 1e-5, 1e-7, 'softmaxGrad');
      W.mul(x, g, d);
      R.mul(xr, gr, dr);
      expectClose(read(d), readR(dr), 0, 0, 'mul');
    }
  });

  it('losses with their gradients, and correct counts', () => {
    const rng = new Rng(6);
    for (const [rows, k] of [[1, 3], [17, 10], [64, 10], [5, 65]]) {
      const n = rows * k;
      const zv = randomArray(rng, n, 3);
      const onehot = new Float32Array(n);
      for (let r = 0; r < rows; r++) onehot[r * k + rng.int(k)] = 1;
      const binary = Float32Array.from({ length: n }, () => rng.int(2));
      const [z, zr] = pair([rows, k], zv);
      for (const [name, tv] of [['softmax xent', onehot], ['sigmoid xent', binary], ['mse', binary]] as const) {
        const [t, tr] = pair([rows, k], tv);
        const [dz, dzr] = pair([rows, k], new Float32Array(n));
        const [loss, lossr] = pair([1], Float32Array.of(0.5));
        const f = name === 'softmax xent' ? 'softmaxCrossEntropy' : name === 'sigmoid xent' ? 'sigmoidCrossEntropy' : 'squaredError';
        W[f](z, t, dz, loss, 1 / rows);
        R[f](zr, tr, dzr, lossr, 1 / rows);
        expectClose(read(dz), readR(dzr), 1e-6, 1e-9, `${name} gradient`);
        expectClose(read(loss), readR(lossr), 1e-6, 0, `${name} loss`);
        for (const mode of ['argmax', 'threshold'] as const) {
          const [c, cr] = pair([1], Float32Array.of(2));
          W.countCorrect(z, t, c, mode);
          R.countCorrect(zr, tr, cr, mode);
          expect(read(c)[0]).toBe(readR(cr)[0]);
        }
      }
    }
  });

  it('dropout masks are the reference masks, bit for bit', () => {
    for (const [n, rate, key] of [[1, 0.5, 1], [127, 0.3, 0xdeadbeef], [4096, 0.9, 7]]) {
      const [m, mr] = pair([n], new Float32Array(n));
      W.dropoutMask(m, rate, key);
      R.dropoutMask(mr, rate, key);
      expectClose(read(m), readR(mr), 0, 0, 'dropout');
    }
  });

  it('optimizer updates: SGD, momentum (heavy ball and Nesterov), Adam, with and without weight decay', () => {
    const rng = new Rng(8);
    for (const n of [1, 3, 17, 65, 1000]) {
      for (const wd of [0, 1e-3]) {
        const wv = randomArray(rng, n);
        const gv = randomArray(rng, n);
        const vv = randomArray(rng, n, 0.1);
        const mv = randomArray(rng, n, 0.1);
        const v2 = Float32Array.from(randomArray(rng, n, 0.1), Math.abs);
        const cases: Array<[string, (B: CpuBackend, w: Tensor, g: Tensor, v: Tensor, m: Tensor, v2: Tensor) => void]> = [
          ['sgd', (B, w, g) => B.sgdUpdate(w, g, 0.1, wd)],
          ['momentum', (B, w, g, v) => B.momentumUpdate(w, g, v, 0.1, 0.9, wd, false)],
          ['nesterov', (B, w, g, v) => B.momentumUpdate(w, g, v, 0.1, 0.9, wd, true)],
          ['adam', (B, w, g, _v, m, s) => B.adamUpdate(w, g, m, s, 1e-3, 0.9, 0.999, 1e-8, 3, wd)],
        ];
        for (const [name, f] of cases) {
          const t = [W.tensor([n], wv), W.tensor([n], gv), W.tensor([n], vv), W.tensor([n], mv), W.tensor([n], v2)];
          const u = [R.tensor([n], wv), R.tensor([n], gv), R.tensor([n], vv), R.tensor([n], mv), R.tensor([n], v2)];
          f(W, t[0], t[1], t[2], t[3], t[4]);
          f(R, u[0], u[1], u[2], u[3], u[4]);
          expectClose(read(t[0]), readR(u[0]), 1e-6, 1e-7, `${name} weights`);
          expectClose(read(t[2]), readR(u[2]), 1e-6, 1e-7, `${name} velocity`);
          expectClose(read(t[3]), readR(u[3]), 1e-6, 1e-7, `${name} first moment`);
          expectClose(read(t[4]), readR(u[4]), 1e-6, 1e-9, `${name} second moment`);
        }
      }
    }
  });

  it('convolution forward, weight and input gradients (stride, padding, odd sizes)', () => {
    const rng = new Rng(9);
    const geoms = [
      // The larger first: what it leaves in the backend's scratch must not show through the next.
      { n: 1, cin: 2, h: 12, w: 14, cout: 3, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 2, padLeft: 2 },
      { n: 2, cin: 3, h: 7, w: 5, cout: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 },
      { n: 3, cin: 1, h: 9, w: 9, cout: 5, kh: 5, kw: 5, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
      { n: 1, cin: 2, h: 4, w: 6, cout: 1, kh: 2, kw: 3, strideH: 1, strideW: 2, padTop: 1, padLeft: 2 },
    ];
    for (const base of geoms) {
      const outH = Math.floor((base.h + 2 * base.padTop - base.kh) / base.strideH) + 1;
      const outW = Math.floor((base.w + 2 * base.padLeft - base.kw) / base.strideW) + 1;
      const g = { ...base, outH, outW };
      const [x, xr] = pair([g.n, g.cin, g.h, g.w], randomArray(rng, g.n * g.cin * g.h * g.w));
      const [w, wr] = pair([g.cout, g.cin, g.kh, g.kw], randomArray(rng, g.cout * g.cin * g.kh * g.kw));
      const ysize = g.n * g.cout * outH * outW;
      const [y, yr] = pair([g.n, g.cout, outH, outW], new Float32Array(ysize));
      W.conv2d(x, w, y, g);
      R.conv2d(xr, wr, yr, g);
      expectClose(read(y), readR(yr), 1e-5, 1e-5, 'conv2d');
      const [dy, dyr] = pair([g.n, g.cout, outH, outW], randomArray(rng, ysize));
      const [dw, dwr] = pair([g.cout, g.cin, g.kh, g.kw], new Float32Array(w.size));
      W.conv2dGradWeight(x, dy, dw, g);
      R.conv2dGradWeight(xr, dyr, dwr, g);
      expectClose(read(dw), readR(dwr), 1e-5, 1e-5, 'conv2dGradWeight');
      const [dx, dxr] = pair([g.n, g.cin, g.h, g.w], randomArray(rng, x.size));
      W.conv2dGradInput(dy, w, dx, g);
      R.conv2dGradInput(dyr, wr, dxr, g);
      expectClose(read(dx), readR(dxr), 1e-5, 1e-5, 'conv2dGradInput');
    }
  });
  it('batch normalisation at inference matches the reference (per-channel SIMD and scalar tails)', () => {
    const rng = new Rng(12);
    for (const [outer, C, inner] of [[1, 16, 784], [2, 32, 49], [3, 5, 7], [4, 128, 1]]) {
      const [x, xr] = pair([outer, C, inner], randomArray(rng, outer * C * inner));
      const [y, yr] = pair([outer, C, inner], randomArray(rng, outer * C * inner)); // stale: overwritten
      const [gamma, gr] = pair([C], randomArray(rng, C));
      const [beta, br] = pair([C], randomArray(rng, C));
      const [mean, mr] = pair([C], randomArray(rng, C));
      const [variance, vr] = pair([C], Float32Array.from(randomArray(rng, C), (v) => v * v + 0.1));
      W.batchNormInfer({ x, gamma, beta, y, runningMean: mean, runningVar: variance, eps: 1e-5, inner });
      R.batchNormInfer({ x: xr, gamma: gr, beta: br, y: yr, runningMean: mr, runningVar: vr, eps: 1e-5, inner });
      expectClose(read(y), readR(yr), 1e-6, 1e-6, `batchNormInfer [${outer}, ${C}, ${inner}]`);
    }
  });

  it('max pooling and its gradient (overlapping and partial windows, padding, ties, NaN, -0) match the reference exactly', () => {
    const rng = new Rng(10);
    const geoms = [
      { n: 2, cin: 3, h: 28, w: 28, kh: 2, kw: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
      { n: 1, cin: 2, h: 7, w: 5, kh: 3, kw: 3, strideH: 2, strideW: 1, padTop: 1, padLeft: 1 },
      { n: 3, cin: 1, h: 5, w: 6, kh: 2, kw: 3, strideH: 1, strideW: 3, padTop: 0, padLeft: 2 },
      // 2 x 2 windows four at a time, a row's last outputs as an overlapping last four, odd sides cut off.
      { n: 1, cin: 4, h: 14, w: 14, kh: 2, kw: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
      { n: 2, cin: 3, h: 15, w: 21, kh: 2, kw: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
    ];
    for (const base of geoms) {
      const outH = Math.floor((base.h + 2 * base.padTop - base.kh) / base.strideH) + 1;
      const outW = Math.floor((base.w + 2 * base.padLeft - base.kw) / base.strideW) + 1;
      const g = { ...base, cout: base.cin, outH, outW };
      // Values on a coarse grid, so that windows hold ties: the first largest must win in both.
      const values = Float32Array.from(randomArray(rng, g.n * g.cin * g.h * g.w), (v) => Math.round(v * 2) / 2);
      // And the values a strict '>' from -Infinity treats apart: NaN never wins, -0 ties with 0.
      values.forEach((_, i) => {
        if (i % 11 === 3) values[i] = NaN;
        else if (i % 13 === 5) values[i] = -0;
        else if (i % 17 === 7) values[i] = -Infinity;
      });
      values.fill(NaN, 0, 2 * g.w); // whole windows of NaN: -Infinity, argmax -1
      const [x, xr] = pair([g.n, g.cin, g.h, g.w], values);
      const ysize = g.n * g.cin * outH * outW;
      const [y, yr] = pair([g.n, g.cin, outH, outW], new Float32Array(ysize));
      const [a, ar] = pair([g.n, g.cin, outH, outW], new Float32Array(ysize));
      W.maxPool(x, y, a, g);
      R.maxPool(xr, yr, ar, g);
      expect(Array.from(read(y))).toEqual(Array.from(readR(yr)));
      expect(Array.from(read(a))).toEqual(Array.from(readR(ar)));
      const [dy, dyr] = pair([g.n, g.cin, outH, outW], randomArray(rng, ysize));
      const [dx, dxr] = pair([g.n, g.cin, g.h, g.w], randomArray(rng, x.size)); // stale values: the gradient must clear them
      W.maxPoolGrad(dy, a, dx, g);
      R.maxPoolGrad(dyr, ar, dxr, g);
      expectClose(read(dx), readR(dxr), 1e-6, 1e-7, 'maxPoolGrad');
    }
  });
});
