import { hashU32 } from '../../rng.ts';
import type { ActivationFn, Backend, BatchNormGradArgs, BatchNormInferArgs, BatchNormTrainArgs, Conv2dGeometry, DType, Tensor } from '../backend.ts';
import { dropThreshold, sizeOf } from '../backend.ts';
import { gemm, type FloatArray } from './gemm.ts';

/** A CPU tensor: a typed array (or a window of one) and its shape. */
export class CpuTensor implements Tensor {
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly data: FloatArray,
  ) {
    this.size = sizeOf(shape);
    if (data.length !== this.size) throw new Error(`tensor of shape [${shape}] needs ${this.size} values, got ${data.length}`);
  }
}

/**
 * The reference backend: plain TypeScript over Float32Array or Float64Array. Float64 makes exact
 * gradient checks possible; float32 is what training uses. The fast paths (WASM SIMD matrix
 * products) plug in through `gemm`, so every kernel here stays the readable oracle.
 *
 * @example
 * const B = new CpuBackend('float64');
 * const a = B.tensor([2, 2], [1, 2, 3, 4]);
 */
export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  private scratch: FloatArray[] = [];

  constructor(readonly dtype: DType = 'float32') {}

  protected alloc(n: number): FloatArray {
    return this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  /** A reusable work buffer (slot-indexed so that two can be live at once). */
  protected work(slot: number, n: number): FloatArray {
    let b = this.scratch[slot];
    if (!b || b.length < n) {
      b = this.alloc(n);
      this.scratch[slot] = b;
    }
    return b.subarray(0, n);
  }

  // --- memory -------------------------------------------------------------------------------
  tensor(shape: readonly number[], data?: ArrayLike<number>): CpuTensor {
    const a = this.alloc(sizeOf(shape));
    if (data) {
      if (data.length !== a.length) throw new Error(`tensor of shape [${shape}] needs ${a.length} values, got ${data.length}`);
      a.set(data);
    }
    return new CpuTensor([...shape], a);
  }
  view(t: Tensor, shape: readonly number[]): CpuTensor {
    return new CpuTensor([...shape], d(t));
  }
  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    d(t).set(data, offset);
  }
  async read(t: Tensor): Promise<FloatArray> {
    return d(t).slice();
  }
  /** Synchronous read for CPU-only callers (the worker's trainer, tests). */
  readSync(t: Tensor): FloatArray {
    return d(t);
  }
  copy(src: Tensor, dst: Tensor): void {
    d(dst).set(d(src));
  }
  fill(t: Tensor, value: number): void {
    d(t).fill(value);
  }
  dispose(_t: Tensor): void {
    // Garbage-collected.
  }

  // --- linear algebra -------------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const [ar, ac] = a.shape;
    const [br, bc] = b.shape;
    const M = transA ? ac : ar;
    const K = transA ? ar : ac;
    const N = transB ? br : bc;
    if ((transB ? bc : br) !== K || out.shape[0] !== M || out.shape[1] !== N) {
      throw new Error(`matmul shapes [${a.shape}]${transA ? 'T' : ''} x [${b.shape}]${transB ? 'T' : ''} -> [${out.shape}] do not fit`);
    }
    gemm(M, N, K, d(a), 0, d(b), 0, d(out), 0, transA, transB, accumulate);
  }
  addBias(x: Tensor, bias: Tensor, inner: number): void {
    const X = d(x);
    const B = d(bias);
    const C = B.length;
    const outer = X.length / (C * inner);
    for (let o = 0, p = 0; o < outer; o++) {
      for (let c = 0; c < C; c++) {
        const v = B[c];
        for (let i = 0; i < inner; i++, p++) X[p] += v;
      }
    }
  }
  biasGrad(dy: Tensor, dbias: Tensor, inner: number): void {
    const Y = d(dy);
    const B = d(dbias);
    const C = B.length;
    const outer = Y.length / (C * inner);
    B.fill(0);
    for (let o = 0, p = 0; o < outer; o++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let i = 0; i < inner; i++, p++) s += Y[p];
        B[c] += s;
      }
    }
  }

  // --- element-wise ---------------------------------------------------------------------------
  activation(fn: ActivationFn, x: Tensor, y: Tensor): void {
    const X = d(x);
    const Y = d(y);
    const n = X.length;
    switch (fn) {
      case 'linear':
        if (X !== Y) Y.set(X);
        return;
      case 'sigmoid':
        for (let i = 0; i < n; i++) Y[i] = 1 / (1 + Math.exp(-X[i]));
        return;
      case 'tanh':
        for (let i = 0; i < n; i++) Y[i] = Math.tanh(X[i]);
        return;
      case 'relu':
        for (let i = 0; i < n; i++) Y[i] = X[i] > 0 ? X[i] : 0;
        return;
    }
  }
  activationGrad(fn: ActivationFn, y: Tensor, dy: Tensor, dx: Tensor): void {
    const Y = d(y);
    const G = d(dy);
    const D = d(dx);
    const n = Y.length;
    switch (fn) {
      case 'linear':
        if (G !== D) D.set(G);
        return;
      case 'sigmoid': // the article's y(1 - y)
        for (let i = 0; i < n; i++) D[i] = G[i] * Y[i] * (1 - Y[i]);
        return;
      case 'tanh':
        for (let i = 0; i < n; i++) D[i] = G[i] * (1 - Y[i] * Y[i]);
        return;
      case 'relu':
        for (let i = 0; i < n; i++) D[i] = Y[i] > 0 ? G[i] : 0;
        return;
    }
  }
  softmax(x: Tensor, y: Tensor): void {
    const X = d(x);
    const Y = d(y);
    const k = x.shape[x.shape.length - 1];
    for (let r = 0; r < X.length; r += k) {
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, X[r + j]);
      let s = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp(X[r + j] - m);
        Y[r + j] = e;
        s += e;
      }
      for (let j = 0; j < k; j++) Y[r + j] /= s;
    }
  }
  softmaxGrad(y: Tensor, dy: Tensor, dx: Tensor): void {
    const Y = d(y);
    const G = d(dy);
    const D = d(dx);
    const k = y.shape[y.shape.length - 1];
    for (let r = 0; r < Y.length; r += k) {
      let dot = 0;
      for (let j = 0; j < k; j++) dot += G[r + j] * Y[r + j];
      for (let j = 0; j < k; j++) D[r + j] = Y[r + j] * (G[r + j] - dot);
    }
  }
  mul(a: Tensor, b: Tensor, out: Tensor): void {
    const A = d(a);
    const B = d(b);
    const O = d(out);
    for (let i = 0; i < O.length; i++) O[i] = A[i] * B[i];
  }
  dropoutMask(mask: Tensor, rate: number, key: number): void {
    const M = d(mask);
    const threshold = dropThreshold(rate);
    const keep = 1 / (1 - rate);
    for (let i = 0; i < M.length; i++) M[i] = hashU32(key, i) >= threshold ? keep : 0;
  }

  // --- losses -----------------------------------------------------------------------------------
  softmaxCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    const Z = d(z);
    const T = d(t);
    const D = d(dz);
    const k = z.shape[z.shape.length - 1];
    let total = 0;
    for (let r = 0; r < Z.length; r += k) {
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, Z[r + j]);
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(Z[r + j] - m);
      const lse = m + Math.log(s);
      let tsum = 0;
      for (let j = 0; j < k; j++) {
        total += T[r + j] * (lse - Z[r + j]);
        tsum += T[r + j];
      }
      for (let j = 0; j < k; j++) D[r + j] = scale * (Math.exp(Z[r + j] - lse) * tsum - T[r + j]);
    }
    d(loss)[0] += total;
  }
  sigmoidCrossEntropy(z: Tensor, t: Tensor, dz: Tensor, loss: Tensor, scale: number): void {
    const Z = d(z);
    const T = d(t);
    const D = d(dz);
    let total = 0;
    for (let i = 0; i < Z.length; i++) {
      const v = Z[i];
      total += Math.max(v, 0) - v * T[i] + Math.log1p(Math.exp(-Math.abs(v)));
      D[i] = scale * (1 / (1 + Math.exp(-v)) - T[i]);
    }
    d(loss)[0] += total;
  }
  squaredError(y: Tensor, t: Tensor, dy: Tensor, loss: Tensor, scale: number): void {
    const Y = d(y);
    const T = d(t);
    const D = d(dy);
    let total = 0;
    for (let i = 0; i < Y.length; i++) {
      const e = Y[i] - T[i];
      total += 0.5 * e * e;
      D[i] = scale * e;
    }
    d(loss)[0] += total;
  }
  countCorrect(y: Tensor, t: Tensor, out: Tensor, mode: 'argmax' | 'threshold'): void {
    const Y = d(y);
    const T = d(t);
    const k = y.shape[y.shape.length - 1];
    let correct = 0;
    for (let r = 0; r < Y.length; r += k) {
      if (mode === 'argmax') {
        let by = 0;
        let bt = 0;
        for (let j = 1; j < k; j++) {
          if (Y[r + j] > Y[r + by]) by = j;
          if (T[r + j] > T[r + bt]) bt = j;
        }
        if (by === bt) correct++;
      } else {
        let ok = true;
        for (let j = 0; j < k && ok; j++) ok = Y[r + j] >= 0.5 === T[r + j] >= 0.5;
        if (ok) correct++;
      }
    }
    d(out)[0] += correct;
  }

  // --- optimizers -------------------------------------------------------------------------------
  sgdUpdate(w: Tensor, g: Tensor, lr: number, weightDecay: number): void {
    const W = d(w);
    const G = d(g);
    for (let i = 0; i < W.length; i++) W[i] -= lr * (G[i] + weightDecay * W[i]);
  }
  momentumUpdate(w: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, weightDecay: number, nesterov: boolean): void {
    const W = d(w);
    const G = d(g);
    const V = d(v);
    for (let i = 0; i < W.length; i++) {
      const grad = G[i] + weightDecay * W[i];
      const vel = mu * V[i] - lr * grad;
      V[i] = vel;
      W[i] += nesterov ? mu * vel - lr * grad : vel;
    }
  }
  adamUpdate(
    w: Tensor, g: Tensor, m: Tensor, v: Tensor,
    lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
  ): void {
    const W = d(w);
    const G = d(g);
    const M = d(m);
    const V = d(v);
    const c1 = 1 - Math.pow(beta1, step);
    const c2 = 1 - Math.pow(beta2, step);
    for (let i = 0; i < W.length; i++) {
      const grad = G[i] + weightDecay * W[i];
      const mi = beta1 * M[i] + (1 - beta1) * grad;
      const vi = beta2 * V[i] + (1 - beta2) * grad * grad;
      M[i] = mi;
      V[i] = vi;
      W[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }

  // --- convolution as im2col + one matrix product over the whole batch ----------------------------
  conv2d(x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const col = this.work(0, CKK * g.n * P);
    im2col(d(x), col, g);
    const out = this.work(1, g.cout * g.n * P);
    gemm(g.cout, g.n * P, CKK, d(w), 0, col, 0, out, 0, false, false, false);
    // [cout, n, P] -> [n, cout, P]
    const Y = d(y);
    for (let c = 0; c < g.cout; c++) {
      for (let n = 0; n < g.n; n++) Y.set(out.subarray((c * g.n + n) * P, (c * g.n + n + 1) * P), (n * g.cout + c) * P);
    }
  }
  conv2dGradWeight(x: Tensor, dy: Tensor, dw: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const col = this.work(0, CKK * g.n * P);
    im2col(d(x), col, g);
    const dyc = this.work(1, g.cout * g.n * P);
    nchwToCnhw(d(dy), dyc, g.n, g.cout, P);
    // dw[cout, CKK] = dy[cout, nP] x col[CKK, nP]^T
    gemm(g.cout, CKK, g.n * P, dyc, 0, col, 0, d(dw), 0, false, true, false);
  }
  conv2dGradInput(dy: Tensor, w: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    const P = g.outH * g.outW;
    const CKK = g.cin * g.kh * g.kw;
    const dyc = this.work(1, g.cout * g.n * P);
    nchwToCnhw(d(dy), dyc, g.n, g.cout, P);
    const col = this.work(0, CKK * g.n * P);
    // dcol[CKK, nP] = w[cout, CKK]^T x dy[cout, nP]
    gemm(CKK, g.n * P, g.cout, d(w), 0, dyc, 0, col, 0, true, false, false);
    col2im(col, d(dx), g);
  }
  maxPool(x: Tensor, y: Tensor, argmax: Tensor, g: Conv2dGeometry): void {
    const X = d(x);
    const Y = d(y);
    const A = d(argmax);
    const plane = g.h * g.w;
    for (let nc = 0, o = 0; nc < g.n * g.cin; nc++) {
      const base = nc * plane;
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < g.kh; i++) {
            const ih = oh * g.strideH - g.padTop + i;
            if (ih < 0 || ih >= g.h) continue;
            for (let j = 0; j < g.kw; j++) {
              const iw = ow * g.strideW - g.padLeft + j;
              if (iw < 0 || iw >= g.w) continue;
              const v = X[base + ih * g.w + iw];
              if (v > best) {
                best = v;
                at = ih * g.w + iw;
              }
            }
          }
          Y[o] = best;
          A[o] = at;
        }
      }
    }
  }
  maxPoolGrad(dy: Tensor, argmax: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    const G = d(dy);
    const A = d(argmax);
    const D = d(dx);
    D.fill(0);
    const plane = g.h * g.w;
    const outPlane = g.outH * g.outW;
    for (let nc = 0; nc < g.n * g.cin; nc++) {
      for (let p = 0; p < outPlane; p++) {
        const o = nc * outPlane + p;
        if (A[o] >= 0) D[nc * plane + A[o]] += G[o];
      }
    }
  }
  avgPool(x: Tensor, y: Tensor, g: Conv2dGeometry): void {
    const X = d(x);
    const Y = d(y);
    const plane = g.h * g.w;
    for (let nc = 0, o = 0; nc < g.n * g.cin; nc++) {
      const base = nc * plane;
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          let s = 0;
          let count = 0;
          forWindow(g, oh, ow, (ih, iw) => {
            s += X[base + ih * g.w + iw];
            count++;
          });
          Y[o] = count ? s / count : 0;
        }
      }
    }
  }
  avgPoolGrad(dy: Tensor, dx: Tensor, g: Conv2dGeometry): void {
    const G = d(dy);
    const D = d(dx);
    D.fill(0);
    const plane = g.h * g.w;
    for (let nc = 0, o = 0; nc < g.n * g.cin; nc++) {
      const base = nc * plane;
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          let count = 0;
          forWindow(g, oh, ow, () => count++);
          if (!count) continue;
          const share = G[o] / count;
          forWindow(g, oh, ow, (ih, iw) => {
            D[base + ih * g.w + iw] += share;
          });
        }
      }
    }
  }

  // --- batch normalisation --------------------------------------------------------------------------
  batchNormTrain({ x, gamma, beta, y, mean, invStd, runningMean, runningVar, momentum, eps, inner }: BatchNormTrainArgs): void {
    const X = d(x);
    const Y = d(y);
    const Ga = d(gamma);
    const Be = d(beta);
    const Mu = d(mean);
    const Is = d(invStd);
    const RM = d(runningMean);
    const RV = d(runningVar);
    const C = Ga.length;
    const outer = X.length / (C * inner);
    const count = outer * inner;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let o = 0; o < outer; o++) for (let i = 0, p = (o * C + c) * inner; i < inner; i++) s += X[p + i];
      const mu = s / count;
      let v = 0;
      for (let o = 0; o < outer; o++) {
        for (let i = 0, p = (o * C + c) * inner; i < inner; i++) {
          const e = X[p + i] - mu;
          v += e * e;
        }
      }
      const variance = v / count;
      const is = 1 / Math.sqrt(variance + eps);
      Mu[c] = mu;
      Is[c] = is;
      RM[c] = (1 - momentum) * RM[c] + momentum * mu;
      RV[c] = (1 - momentum) * RV[c] + momentum * (count > 1 ? (variance * count) / (count - 1) : variance);
      const a = Ga[c] * is;
      const b = Be[c] - mu * a;
      for (let o = 0; o < outer; o++) for (let i = 0, p = (o * C + c) * inner; i < inner; i++) Y[p + i] = X[p + i] * a + b;
    }
  }
  batchNormInfer({ x, gamma, beta, y, runningMean, runningVar, eps, inner }: BatchNormInferArgs): void {
    const X = d(x);
    const Y = d(y);
    const Ga = d(gamma);
    const Be = d(beta);
    const RM = d(runningMean);
    const RV = d(runningVar);
    const C = Ga.length;
    const outer = X.length / (C * inner);
    for (let c = 0; c < C; c++) {
      const a = Ga[c] / Math.sqrt(RV[c] + eps);
      const b = Be[c] - RM[c] * a;
      for (let o = 0; o < outer; o++) for (let i = 0, p = (o * C + c) * inner; i < inner; i++) Y[p + i] = X[p + i] * a + b;
    }
  }
  batchNormGrad({ x, dy, gamma, mean, invStd, dx, dgamma, dbeta, inner }: BatchNormGradArgs): void {
    const X = d(x);
    const G = d(dy);
    const Ga = d(gamma);
    const Mu = d(mean);
    const Is = d(invStd);
    const DX = d(dx);
    const DG = d(dgamma);
    const DB = d(dbeta);
    const C = Ga.length;
    const outer = X.length / (C * inner);
    const count = outer * inner;
    for (let c = 0; c < C; c++) {
      const mu = Mu[c];
      const is = Is[c];
      let sb = 0;
      let sg = 0;
      for (let o = 0; o < outer; o++) {
        for (let i = 0, p = (o * C + c) * inner; i < inner; i++) {
          sb += G[p + i];
          sg += G[p + i] * (X[p + i] - mu) * is;
        }
      }
      DB[c] = sb;
      DG[c] = sg;
      const k = (Ga[c] * is) / count;
      for (let o = 0; o < outer; o++) {
        for (let i = 0, p = (o * C + c) * inner; i < inner; i++) {
          const xhat = (X[p + i] - mu) * is;
          DX[p + i] = k * (count * G[p + i] - sb - xhat * sg);
        }
      }
    }
  }
}

function d(t: Tensor): FloatArray {
  return (t as CpuTensor).data;
}

function forWindow(g: Conv2dGeometry, oh: number, ow: number, f: (ih: number, iw: number) => void): void {
  for (let i = 0; i < g.kh; i++) {
    const ih = oh * g.strideH - g.padTop + i;
    if (ih < 0 || ih >= g.h) continue;
    for (let j = 0; j < g.kw; j++) {
      const iw = ow * g.strideW - g.padLeft + j;
      if (iw >= 0 && iw < g.w) f(ih, iw);
    }
  }
}

/** col[(ci, i, j), (n, oh, ow)] = x[n, ci, oh*s - pad + i, ow*s - pad + j] (zero outside). */
function im2col(X: FloatArray, col: FloatArray, g: Conv2dGeometry): void {
  const P = g.outH * g.outW;
  const cols = g.n * P;
  for (let ci = 0, row = 0; ci < g.cin; ci++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        let o = row * cols;
        for (let n = 0; n < g.n; n++) {
          const base = (n * g.cin + ci) * g.h * g.w;
          for (let oh = 0; oh < g.outH; oh++) {
            const ih = oh * g.strideH - g.padTop + i;
            const inside = ih >= 0 && ih < g.h;
            for (let ow = 0; ow < g.outW; ow++, o++) {
              const iw = ow * g.strideW - g.padLeft + j;
              col[o] = inside && iw >= 0 && iw < g.w ? X[base + ih * g.w + iw] : 0;
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: scatter-add the columns back into the image (overwrites dx). */
function col2im(col: FloatArray, DX: FloatArray, g: Conv2dGeometry): void {
  DX.fill(0);
  const P = g.outH * g.outW;
  const cols = g.n * P;
  for (let ci = 0, row = 0; ci < g.cin; ci++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        let o = row * cols;
        for (let n = 0; n < g.n; n++) {
          const base = (n * g.cin + ci) * g.h * g.w;
          for (let oh = 0; oh < g.outH; oh++) {
            const ih = oh * g.strideH - g.padTop + i;
            if (ih < 0 || ih >= g.h) {
              o += g.outW;
              continue;
            }
            for (let ow = 0; ow < g.outW; ow++, o++) {
              const iw = ow * g.strideW - g.padLeft + j;
              if (iw >= 0 && iw < g.w) DX[base + ih * g.w + iw] += col[o];
            }
          }
        }
      }
    }
  }
}

/** [n, c, P] -> [c, n, P] */
function nchwToCnhw(src: FloatArray, dst: FloatArray, n: number, c: number, P: number): void {
  for (let ni = 0; ni < n; ni++) {
    for (let ci = 0; ci < c; ci++) dst.set(src.subarray((ni * c + ci) * P, (ni * c + ci + 1) * P), (ci * n + ni) * P);
  }
}
