/**
 * Every method of the Backend contract, WebGPU against the CPU reference on the same inputs.
 *
 * Tolerances (float32, unit roundoff u = 2^-24):
 * - exact: copies, fills, selections and single correctly rounded operations (mul, relu, linear,
 *   dropout masks, max pooling and its arg-max, correct counts): the two backends must agree bit
 *   for bit.
 * - products (matmul, the three convolutions): |gpu - cpu| <= 2 K u (|A| |B|) element by element,
 *   the classical forward-error bound of a K-term dot product taken for each backend (their sums
 *   run in different orders), with |A| |B| computed by the CPU backend on absolute values. A wrong
 *   index costs errors of the order of (|A| |B|) itself, far above the bound.
 * - sums over a batch or a channel (bias gradients): the same bound with K = the number of terms.
 * - everything else element-wise or per row (transcendental functions, softmax, losses, pooling
 *   averages, batch norm, optimizer updates): max |gpu - cpu| / max |cpu| <= 1e-6 (about 16 ulps of
 *   the tensor's largest value: WGSL allows exp, log and tanh errors of a few ulps, and the CPU
 *   rounds once from float64), 1e-5 where a channel's statistics are involved (batch norm).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivationFn, Conv2dGeometry } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';
import { Rng } from '../../src/nn/rng.ts';
import { Pair, U, abs, expectExact, expectWithinBound, gpuBackend, pair, random, relError } from './helpers.ts';

let B: WebGpuBackend;
let P: Pair;
const F64 = new CpuBackend('float64');
const rng = new Rng(7);

beforeAll(async () => {
  B = await gpuBackend();
  P = pair(B);
});
afterAll(() => B?.destroy());

/** |A||B| (or its convolution analogue) in float64, times 2 K u. */
async function productBound(k: number, f: (b: CpuBackend) => Promise<ArrayLike<number>>): Promise<Float64Array> {
  const v = await f(F64);
  return Float64Array.from(v, (x) => 2 * k * U * x + 1e-30);
}

describe('memory', () => {
  it('tensor, write at an offset, view, read, copy, fill', async () => {
    const t = B.tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    expectExact(await B.read(t), [1, 2, 3, 4, 5, 6]);
    B.write(t, [9, 8], 3);
    expectExact(await B.read(t), [1, 2, 3, 9, 8, 6]);
    const v = B.view(t, [6]);
    expect(v.shape).toEqual([6]);
    B.fill(v, 0.5);
    expectExact(await B.read(t), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const u = B.tensor([3, 2], [1, -2, 3, -4, 5, -6]);
    B.copy(u, t);
    expectExact(await B.read(t), [1, -2, 3, -4, 5, -6]);
    expectExact(await B.read(B.tensor([4])), [0, 0, 0, 0]);
  });

  it('rejects what does not fit, with the reason', () => {
    const t = B.tensor([2, 2]);
    expect(() => B.tensor([2, 2], [1, 2, 3])).toThrow(/needs 4 values, got 3/);
    expect(() => B.write(t, [1, 2, 3], 2)).toThrow(/overruns/);
    expect(() => B.view(t, [5])).toThrow(/cannot view/);
    expect(() => B.matmul(t, B.tensor([3, 2]), B.tensor([2, 2]), false, false, false)).toThrow(/do not fit/);
  });

  it('dispose frees the buffer; using it afterwards is a clear error', async () => {
    const t = B.tensor([3], [1, 2, 3]);
    const u = B.tensor([3]);
    B.copy(t, u);
    B.dispose(t); // recorded work still reads t: it is destroyed only after submission
    expectExact(await B.read(u), [1, 2, 3]);
    expect(() => B.fill(t, 1)).toThrow(/disposed/);
  });

  it('tensors past 65535 workgroups of elements (the grid folds into y)', async () => {
    const n = 65535 * 128 + 1000;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (i % 1013) - 500;
    const a = B.tensor([n], data);
    const o = B.tensor([n]);
    B.mul(a, a, o);
    const g = await B.read(o);
    for (const i of [0, 1, 65535 * 128 - 1, 65535 * 128, n - 1]) expect(g[i]).toBe(data[i] * data[i]);
    B.dispose(a);
    B.dispose(o);
  });
});

describe('matmul', () => {
  // Shapes that reach each tile (square, wide M <= 32, tall N <= 32) and the split-K path.
  const shapes = [
    [70, 90, 600],
    [20, 150, 37],
    [150, 10, 1100],
    [1, 1, 1],
  ];
  for (const [M, N, K] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`[${M}x${K}]${ta ? 'T' : ''} x [${K}x${N}]${tb ? 'T' : ''}`, async () => {
        const ad = random(rng, M * K);
        const bd = random(rng, K * N);
        const a = P.tensor(ta ? [K, M] : [M, K], ad);
        const b = P.tensor(tb ? [N, K] : [K, N], bd);
        const o = P.tensor([M, N]);
        P.cpu.matmul(a.c, b.c, o.c, ta, tb, false);
        P.gpu.matmul(a.g, b.g, o.g, ta, tb, false);
        const { c, g } = await P.read(o);
        const bound = await productBound(K, async (X) => {
          const out = X.tensor([M, N]);
          X.matmul(X.tensor(a.c.shape, abs(ad)), X.tensor(b.c.shape, abs(bd)), out, ta, tb, false);
          return X.read(out);
        });
        expectWithinBound(g, c, bound);
      });
    }
  }

  it('accumulates into the output when asked', async () => {
    for (const [ta, tb] of [[false, false], [true, true]] as const) {
      const [M, N, K] = [33, 65, 700];
      const ad = random(rng, M * K);
      const bd = random(rng, K * N);
      const cd = random(rng, M * N);
      const a = P.tensor(ta ? [K, M] : [M, K], ad);
      const b = P.tensor(tb ? [N, K] : [K, N], bd);
      const o = P.tensor([M, N], cd);
      P.cpu.matmul(a.c, b.c, o.c, ta, tb, true);
      P.gpu.matmul(a.g, b.g, o.g, ta, tb, true);
      const { c, g } = await P.read(o);
      const bound = await productBound(K + 1, async (X) => {
        const out = X.tensor([M, N], abs(cd));
        X.matmul(X.tensor(a.c.shape, abs(ad)), X.tensor(b.c.shape, abs(bd)), out, ta, tb, true);
        return X.read(out);
      });
      expectWithinBound(g, c, bound);
    }
  });
});

describe('every tile shape (forced), on products and convolutions', () => {
  for (const tile of ['s', 'w', 't', 'b']) {
    it(`tile ${tile}`, async () => {
      B.gemmTile = tile;
      try {
        for (const [ta, tb] of [[false, false], [true, true]] as const) {
          const [M, N, K] = [130, 140, 700];
          const ad = random(rng, M * K);
          const bd = random(rng, K * N);
          const a = P.tensor(ta ? [K, M] : [M, K], ad);
          const b = P.tensor(tb ? [N, K] : [K, N], bd);
          const o = P.tensor([M, N]);
          P.cpu.matmul(a.c, b.c, o.c, ta, tb, false);
          P.gpu.matmul(a.g, b.g, o.g, ta, tb, false);
          const r = await P.read(o);
          const bound = await productBound(K, async (X) => {
            const out = X.tensor([M, N]);
            X.matmul(X.tensor(a.c.shape, abs(ad)), X.tensor(b.c.shape, abs(bd)), out, ta, tb, false);
            return X.read(out);
          });
          expectWithinBound(r.g, r.c, bound);
        }
        const g = geometry(3, 5, 10, 10, 7, 3, 3, 1, 1, 1, 1);
        const x = P.tensor([3, 5, 10, 10], random(rng, 1500));
        const w = P.tensor([7, 5, 3, 3], random(rng, 315));
        const y = P.tensor([3, 7, 10, 10]);
        P.cpu.conv2d(x.c, w.c, y.c, g);
        P.gpu.conv2d(x.g, w.g, y.g, g);
        const ry = await P.read(y);
        expect(relError(ry.g, ry.c)).toBeLessThanOrEqual(1e-5);
        const dx = P.tensor([3, 5, 10, 10]);
        P.cpu.conv2dGradInput(y.c, w.c, dx.c, g);
        P.gpu.conv2dGradInput(y.g, w.g, dx.g, g);
        const rx = await P.read(dx);
        expect(relError(rx.g, rx.c)).toBeLessThanOrEqual(1e-5);
        const dw = P.tensor([7, 5, 3, 3]);
        P.cpu.conv2dGradWeight(x.c, y.c, dw.c, g);
        P.gpu.conv2dGradWeight(x.g, y.g, dw.g, g);
        const rw = await P.read(dw);
        expect(relError(rw.g, rw.c)).toBeLessThanOrEqual(1e-5);
      } finally {
        B.gemmTile = null;
      }
    });
  }
});

describe('bias', () => {
  for (const [outer, inner] of [[13, 1], [13, 6], [9, 1000]]) {
    it(`addBias and biasGrad over [${outer}, C, ${inner}]`, async () => {
      const C = 7;
      const xd = random(rng, outer * C * inner);
      const bd = random(rng, C);
      const x = P.tensor([outer, C * inner], xd);
      const bias = P.tensor([C], bd);
      P.cpu.addBias(x.c, bias.c, inner);
      P.gpu.addBias(x.g, bias.g, inner);
      const r = await P.read(x);
      // One addition, correctly rounded on both sides (the CPU rounds the exact float64 sum).
      expectWithinBound(r.g, r.c, Float32Array.from(r.c, (v) => Math.abs(v) * 2 * U));

      const db = P.tensor([C]);
      P.cpu.biasGrad(x.c, db.c, inner);
      P.gpu.biasGrad(x.g, db.g, inner);
      const d = await P.read(db);
      const absSum = new Float64Array(C);
      const xs = await P.cpu.read(x.c);
      for (let o = 0, p = 0; o < outer; o++) for (let c = 0; c < C; c++) for (let i = 0; i < inner; i++, p++) absSum[c] += Math.abs(xs[p]);
      expectWithinBound(d.g, d.c, Float64Array.from(absSum, (s) => 2 * outer * inner * U * s + 1e-30));
    });
  }
});

describe('activations', () => {
  const fns: ActivationFn[] = ['linear', 'sigmoid', 'tanh', 'relu'];
  // Values from the saturated tails to zero, where the formulas are most fragile.
  const xd = Float32Array.from([...random(rng, 200, -6, 6), -60, -20, -1e-3, 0, 1e-3, 20, 60]);
  for (const fn of fns) {
    it(`${fn} and its gradient`, async () => {
      const x = P.tensor([xd.length], xd);
      const y = P.tensor([xd.length]);
      P.cpu.activation(fn, x.c, y.c);
      P.gpu.activation(fn, x.g, y.g);
      const ry = await P.read(y);
      if (fn === 'linear' || fn === 'relu') expectExact(ry.g, ry.c);
      else expect(relError(ry.g, ry.c)).toBeLessThanOrEqual(1e-6);

      const dy = P.tensor([xd.length], random(rng, xd.length));
      const dx = P.tensor([xd.length]);
      P.cpu.activationGrad(fn, y.c, dy.c, dx.c);
      P.gpu.activationGrad(fn, y.g, dy.g, dx.g);
      const rd = await P.read(dx);
      if (fn === 'linear' || fn === 'relu') expectExact(rd.g, rd.c);
      else expect(relError(rd.g, rd.c)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('softmax and its gradient over the last dimension', async () => {
    for (const k of [10, 1, 300]) {
      const rows = 17;
      const x = P.tensor([rows, k], random(rng, rows * k, -8, 8));
      const y = P.tensor([rows, k]);
      P.cpu.softmax(x.c, y.c);
      P.gpu.softmax(x.g, y.g);
      const ry = await P.read(y);
      expect(relError(ry.g, ry.c)).toBeLessThanOrEqual(1e-6);
      const dy = P.tensor([rows, k], random(rng, rows * k));
      const dx = P.tensor([rows, k]);
      P.cpu.softmaxGrad(y.c, dy.c, dx.c);
      P.gpu.softmaxGrad(y.g, dy.g, dx.g);
      const rd = await P.read(dx);
      expect(relError(rd.g, rd.c)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('mul, also in place (out aliasing an input)', async () => {
    const a = P.tensor([300], random(rng, 300));
    const b = P.tensor([300], random(rng, 300));
    const o = P.tensor([300]);
    P.cpu.mul(a.c, b.c, o.c);
    P.gpu.mul(a.g, b.g, o.g);
    const r = await P.read(o);
    expectExact(r.g, r.c);
    P.cpu.mul(a.c, b.c, a.c);
    P.gpu.mul(a.g, b.g, a.g);
    const r2 = await P.read(a);
    expectExact(r2.g, r2.c);
    P.cpu.mul(b.c, b.c, b.c);
    P.gpu.mul(b.g, b.g, b.g);
    const r3 = await P.read(b);
    expectExact(r3.g, r3.c);
  });

  it('dropout masks: the same units dropped on both backends', async () => {
    const n = 5000;
    for (const [rate, key] of [[0, 1], [0.3, 12345], [0.5, 0xffffffff], [0.9, 0]] as const) {
      const m = P.tensor([n]);
      P.cpu.dropoutMask(m.c, rate, key);
      P.gpu.dropoutMask(m.g, rate, key);
      const r = await P.read(m);
      expectExact(r.g, r.c);
      const kept = r.g.filter((v) => v !== 0).length / n;
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.03);
    }
  });
});

describe('losses and counts', () => {
  const rows = 150;
  const k = 10;
  const targets = (soft: boolean) => {
    const t = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      if (soft && r % 5 === 0) for (let j = 0; j < k; j++) t[r * k + j] = rng.uniform() * 0.3;
      else t[r * k + rng.int(k)] = 1;
    }
    return t;
  };

  it('softmax cross-entropy (one-hot and soft targets), added to the running loss', async () => {
    const z = P.tensor([rows, k], random(rng, rows * k, -10, 10));
    const t = P.tensor([rows, k], targets(true));
    const dz = P.tensor([rows, k]);
    const loss = P.tensor([1], [2.5]);
    P.cpu.softmaxCrossEntropy(z.c, t.c, dz.c, loss.c, 1 / rows);
    P.gpu.softmaxCrossEntropy(z.g, t.g, dz.g, loss.g, 1 / rows);
    const rl = await P.read(loss);
    const rd = await P.read(dz);
    expect(relError(rl.g, rl.c)).toBeLessThanOrEqual(1e-6);
    expect(relError(rd.g, rd.c)).toBeLessThanOrEqual(1e-6);
  });

  it('sigmoid cross-entropy, stable for large logits', async () => {
    const zd = Float32Array.from([...random(rng, rows * k - 4, -10, 10), -80, 80, -1e-4, 0]);
    const td = Float32Array.from(zd, () => (rng.uniform() < 0.3 ? 1 : 0));
    const z = P.tensor([rows, k], zd);
    const t = P.tensor([rows, k], td);
    const dz = P.tensor([rows, k]);
    const loss = P.tensor([1]);
    P.cpu.sigmoidCrossEntropy(z.c, t.c, dz.c, loss.c, 0.5);
    P.gpu.sigmoidCrossEntropy(z.g, t.g, dz.g, loss.g, 0.5);
    const rl = await P.read(loss);
    const rd = await P.read(dz);
    expect(relError(rl.g, rl.c)).toBeLessThanOrEqual(1e-6);
    expect(relError(rd.g, rd.c)).toBeLessThanOrEqual(1e-6);
  });

  it("the article's squared error", async () => {
    const y = P.tensor([rows, k], random(rng, rows * k, 0, 1));
    const t = P.tensor([rows, k], targets(false));
    const dy = P.tensor([rows, k]);
    const loss = P.tensor([1], [1]);
    P.cpu.squaredError(y.c, t.c, dy.c, loss.c, 2);
    P.gpu.squaredError(y.g, t.g, dy.g, loss.g, 2);
    const rl = await P.read(loss);
    const rd = await P.read(dy);
    expect(relError(rl.g, rl.c)).toBeLessThanOrEqual(1e-6);
    expect(relError(rd.g, rd.c)).toBeLessThanOrEqual(1e-6);
  });

  it('countCorrect by arg-max (first maximum wins ties) and by threshold', async () => {
    const td = targets(false);
    // Outputs near their targets, some rows wrong, some exactly on the 0.5 threshold.
    const yd = Float32Array.from(td, (t) => (t ? 0.4 + 0.6 * rng.uniform() : 0.6 * rng.uniform()));
    for (let r = 0; r < rows; r += 7) {
      // A tie between the target's class and the next one: the earlier wins on both backends.
      const j = td.subarray(r * k, (r + 1) * k).indexOf(1);
      yd[r * k + j] = 2;
      yd[r * k + ((j + 1) % k)] = 2;
    }
    for (let r = 3; r < rows; r += 11) yd[r * k + 4] = 0.5;
    for (const mode of ['argmax', 'threshold'] as const) {
      const y = P.tensor([rows, k], yd);
      const t = P.tensor([rows, k], td);
      const out = P.tensor([1], [3]);
      P.cpu.countCorrect(y.c, t.c, out.c, mode);
      P.gpu.countCorrect(y.g, t.g, out.g, mode);
      const r = await P.read(out);
      expectExact(r.g, r.c);
      // Both outcomes occur, so the count is not trivially 0 or every row.
      expect(r.c[0] - 3).toBeGreaterThan(0);
      expect(r.c[0] - 3).toBeLessThan(rows);
    }
  });
});

describe('optimizer updates', () => {
  const n = 1000;
  const w0 = random(rng, n);
  const grads = [random(rng, n), random(rng, n, -0.01, 0.01), random(rng, n, -5, 5)];

  it('sgd with weight decay', async () => {
    const w = P.tensor([n], w0);
    for (const gd of grads) {
      const g = P.tensor([n], gd);
      P.cpu.sgdUpdate(w.c, g.c, 0.1, 1e-3);
      P.gpu.sgdUpdate(w.g, g.g, 0.1, 1e-3);
    }
    const r = await P.read(w);
    expect(relError(r.g, r.c)).toBeLessThanOrEqual(1e-6);
  });

  for (const nesterov of [false, true]) {
    it(`momentum${nesterov ? ' (Nesterov)' : ''}`, async () => {
      const w = P.tensor([n], w0);
      const v = P.tensor([n]);
      for (const gd of grads) {
        const g = P.tensor([n], gd);
        P.cpu.momentumUpdate(w.c, g.c, v.c, 0.05, 0.9, 1e-4, nesterov);
        P.gpu.momentumUpdate(w.g, g.g, v.g, 0.05, 0.9, 1e-4, nesterov);
      }
      const rw = await P.read(w);
      const rv = await P.read(v);
      expect(relError(rw.g, rw.c)).toBeLessThanOrEqual(1e-6);
      expect(relError(rv.g, rv.c)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('adam with bias correction', async () => {
    const w = P.tensor([n], w0);
    const m = P.tensor([n]);
    const v = P.tensor([n]);
    grads.forEach((gd, i) => {
      const g = P.tensor([n], gd);
      P.cpu.adamUpdate(w.c, g.c, m.c, v.c, 1e-3, 0.9, 0.999, 1e-8, i + 1, 1e-2);
      P.gpu.adamUpdate(w.g, g.g, m.g, v.g, 1e-3, 0.9, 0.999, 1e-8, i + 1, 1e-2);
    });
    for (const t of [w, m, v]) {
      const r = await P.read(t);
      expect(relError(r.g, r.c)).toBeLessThanOrEqual(1e-6);
    }
  });
});

function geometry(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): Conv2dGeometry {
  const outH = Math.floor((h + 2 * pt - kh) / sh) + 1;
  const outW = Math.floor((w + 2 * pl - kw) / sw) + 1;
  return { n, cin, h, w, cout, kh, kw, strideH: sh, strideW: sw, padTop: pt, padLeft: pl, outH, outW };
}

describe('convolution', () => {
  const cases: Array<[string, Conv2dGeometry]> = [
    ['3x3, stride 2, padding 1', geometry(2, 3, 9, 9, 4, 3, 3, 2, 2, 1, 1)],
    ['3x2 kernel, strides 1 and 2, padding 1 and 0, non-square image', geometry(3, 2, 7, 6, 5, 3, 2, 1, 2, 1, 0)],
    ['1x1 kernel', geometry(2, 6, 5, 5, 3, 1, 1, 1, 1, 0, 0)],
    ['"same" 3x3 over a batch large enough to split K in the weight gradient', geometry(8, 4, 14, 14, 8, 3, 3, 1, 1, 1, 1)],
    ['5x5, more channels than one tile', geometry(2, 3, 12, 12, 70, 5, 5, 1, 1, 2, 2)],
  ];
  for (const [name, g] of cases) {
    it(name, async () => {
      const xs = [g.n, g.cin, g.h, g.w];
      const ws = [g.cout, g.cin, g.kh, g.kw];
      const ys = [g.n, g.cout, g.outH, g.outW];
      const xd = random(rng, xs.reduce((a, b) => a * b));
      const wd = random(rng, ws.reduce((a, b) => a * b));
      const dyd = random(rng, ys.reduce((a, b) => a * b));
      const x = P.tensor(xs, xd);
      const w = P.tensor(ws, wd);
      const dy = P.tensor(ys, dyd);

      const y = P.tensor(ys);
      P.cpu.conv2d(x.c, w.c, y.c, g);
      P.gpu.conv2d(x.g, w.g, y.g, g);
      const ry = await P.read(y);
      expectWithinBound(ry.g, ry.c, await productBound(g.cin * g.kh * g.kw, async (X) => {
        const o = X.tensor(ys);
        X.conv2d(X.tensor(xs, abs(xd)), X.tensor(ws, abs(wd)), o, g);
        return X.read(o);
      }));

      const dx = P.tensor(xs);
      P.cpu.conv2dGradInput(dy.c, w.c, dx.c, g);
      P.gpu.conv2dGradInput(dy.g, w.g, dx.g, g);
      const rx = await P.read(dx);
      expectWithinBound(rx.g, rx.c, await productBound(g.cout * g.kh * g.kw, async (X) => {
        const o = X.tensor(xs);
        X.conv2dGradInput(X.tensor(ys, abs(dyd)), X.tensor(ws, abs(wd)), o, g);
        return X.read(o);
      }));

      const dw = P.tensor(ws);
      P.cpu.conv2dGradWeight(x.c, dy.c, dw.c, g);
      P.gpu.conv2dGradWeight(x.g, dy.g, dw.g, g);
      const rw = await P.read(dw);
      expectWithinBound(rw.g, rw.c, await productBound(g.n * g.outH * g.outW, async (X) => {
        const o = X.tensor(ws);
        X.conv2dGradWeight(X.tensor(xs, abs(xd)), X.tensor(ys, abs(dyd)), o, g);
        return X.read(o);
      }));
    });
  }
});

describe('pooling', () => {
  const cases: Array<[string, Conv2dGeometry]> = [
    ['2x2, stride 2', geometry(3, 4, 8, 8, 4, 2, 2, 2, 2, 0, 0)],
    ['3x3, stride 2, padding 1 (overlapping windows, padded cells)', geometry(2, 3, 9, 7, 3, 3, 3, 2, 2, 1, 1)],
    ['3x2, stride 1 (heavily overlapping)', geometry(2, 2, 6, 6, 2, 3, 2, 1, 1, 0, 0)],
  ];
  for (const [name, g] of cases) {
    it(`max and average, ${name}`, async () => {
      const xs = [g.n, g.cin, g.h, g.w];
      const ys = [g.n, g.cin, g.outH, g.outW];
      const x = P.tensor(xs, random(rng, xs.reduce((a, b) => a * b)));
      const dy = P.tensor(ys, random(rng, ys.reduce((a, b) => a * b)));

      const y = P.tensor(ys);
      const arg = P.tensor(ys);
      P.cpu.maxPool(x.c, y.c, arg.c, g);
      P.gpu.maxPool(x.g, y.g, arg.g, g);
      const ry = await P.read(y);
      const ra = await P.read(arg);
      expectExact(ry.g, ry.c);
      expectExact(ra.g, ra.c);
      const dx = P.tensor(xs);
      P.cpu.maxPoolGrad(dy.c, arg.c, dx.c, g);
      P.gpu.maxPoolGrad(dy.g, arg.g, dx.g, g);
      const rx = await P.read(dx);
      expect(relError(rx.g, rx.c)).toBeLessThanOrEqual(1e-6);

      P.cpu.avgPool(x.c, y.c, g);
      P.gpu.avgPool(x.g, y.g, g);
      const ra2 = await P.read(y);
      expect(relError(ra2.g, ra2.c)).toBeLessThanOrEqual(1e-6);
      P.cpu.avgPoolGrad(dy.c, dx.c, g);
      P.gpu.avgPoolGrad(dy.g, dx.g, g);
      const rx2 = await P.read(dx);
      expect(relError(rx2.g, rx2.c)).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('batch normalisation', () => {
  // The last two have more values per channel than one workgroup takes: sliced, then merged.
  for (const [outer, C, inner] of [[16, 5, 1], [4, 3, 25], [2, 200, 3], [9, 3, 1000], [5000, 4, 1]]) {
    it(`train, infer and gradients over [${outer}, ${C}, ${inner}]`, async () => {
      const n = outer * C * inner;
      const x = P.tensor([outer, C, inner], random(rng, n, -2, 3));
      const gamma = P.tensor([C], random(rng, C, 0.5, 1.5));
      const beta = P.tensor([C], random(rng, C));
      const y = P.tensor([outer, C, inner]);
      const mean = P.tensor([C]);
      const invStd = P.tensor([C]);
      const rm = P.tensor([C], random(rng, C));
      const rv = P.tensor([C], random(rng, C, 0.5, 2));
      for (const X of ['cpu', 'gpu'] as const) {
        const k = X === 'cpu' ? 'c' : 'g';
        P[X].batchNormTrain({ x: x[k], gamma: gamma[k], beta: beta[k], y: y[k], mean: mean[k], invStd: invStd[k], runningMean: rm[k], runningVar: rv[k], momentum: 0.1, eps: 1e-5, inner });
      }
      for (const t of [y, mean, invStd, rm, rv]) {
        const r = await P.read(t);
        expect(relError(r.g, r.c)).toBeLessThanOrEqual(1e-5);
      }

      const yi = P.tensor([outer, C, inner]);
      P.cpu.batchNormInfer({ x: x.c, gamma: gamma.c, beta: beta.c, y: yi.c, runningMean: rm.c, runningVar: rv.c, eps: 1e-5, inner });
      P.gpu.batchNormInfer({ x: x.g, gamma: gamma.g, beta: beta.g, y: yi.g, runningMean: rm.g, runningVar: rv.g, eps: 1e-5, inner });
      const ri = await P.read(yi);
      expect(relError(ri.g, ri.c)).toBeLessThanOrEqual(1e-6);

      const dy = P.tensor([outer, C, inner], random(rng, n));
      const dx = P.tensor([outer, C, inner]);
      const dgamma = P.tensor([C]);
      const dbeta = P.tensor([C]);
      P.cpu.batchNormGrad({ x: x.c, dy: dy.c, gamma: gamma.c, mean: mean.c, invStd: invStd.c, dx: dx.c, dgamma: dgamma.c, dbeta: dbeta.c, inner });
      P.gpu.batchNormGrad({ x: x.g, dy: dy.g, gamma: gamma.g, mean: mean.g, invStd: invStd.g, dx: dx.g, dgamma: dgamma.g, dbeta: dbeta.g, inner });
      for (const t of [dx, dgamma, dbeta]) {
        const r = await P.read(t);
        expect(relError(r.g, r.c)).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});
