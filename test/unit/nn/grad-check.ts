import { CpuBackend, type CpuTensor } from '../../../src/nn/backend/cpu/cpu-backend.ts';
import { Loss, type LossName } from '../../../src/nn/loss.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { Rng } from '../../../src/nn/rng.ts';

/**
 * Checks backpropagation against central finite differences in float64: for every parameter
 * entry w, (E(w + h) - E(w - h)) / 2h must match the analytic dE/dw.
 * Returns the worst relative error found.
 */
export function gradientCheck(spec: NetworkSpec, loss: LossName, opts: { n?: number; seed?: number; targets?: 'onehot' | 'binary' | 'real'; sum?: boolean } = {}): number {
  const B = new CpuBackend('float64');
  const net = new Network(spec, { backend: B, seed: opts.seed ?? 3 });
  const n = opts.n ?? 4;
  const rng = new Rng(opts.seed ?? 7);
  const x = B.tensor([n, ...net.inputShape], Array.from({ length: n * net.inputSize }, () => rng.normal()));
  const k = net.outputSize;
  const tv = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    if ((opts.targets ?? 'onehot') === 'onehot') tv[i * k + rng.int(k)] = 1;
    else for (let j = 0; j < k; j++) tv[i * k + j] = opts.targets === 'binary' ? rng.int(2) : rng.uniform();
  }
  const t = B.tensor([n, k], tv);
  const L = new Loss(loss, net);
  const scale = opts.sum ? 1 : 1 / n;
  const step = 5;
  const lossAt = (): number => {
    const acc = B.tensor([1]);
    const y = net.forward(x, { training: true, step });
    L.gradient(y, t, acc, scale);
    return (acc as CpuTensor).data[0] * scale;
  };

  const acc = B.tensor([1]);
  const y = net.forward(x, { training: true, step });
  const { grad, from } = L.gradient(y, t, acc, scale);
  net.backward(grad, from);
  const analytic = net.params().map(({ param }) => Float64Array.from((param.grad as CpuTensor).data));

  let worst = 0;
  const h = 1e-6;
  const owners = net.layers.flatMap((layer) => layer.params().map(() => layer as { mask?: CpuTensor | null }));
  net.params().forEach(({ param }, p) => {
    const w = (param.value as CpuTensor).data;
    const mask = param.name === 'weight' ? owners[p].mask?.data : undefined;
    for (let i = 0; i < w.length; i++) {
      if (mask && mask[i] === 0) continue; // not a connection: not a parameter
      const keep = w[i];
      w[i] = keep + h;
      const up = lossAt();
      w[i] = keep - h;
      const down = lossAt();
      w[i] = keep;
      const numeric = (up - down) / (2 * h);
      const a = analytic[p][i];
      // Relative error, except where both are at the level of rounding noise (e.g. the bias
      // before a batch norm, whose true gradient is 0).
      const diff = Math.abs(a - numeric);
      const err = diff < 1e-9 ? 0 : diff / (Math.abs(a) + Math.abs(numeric));
      worst = Math.max(worst, err);
    }
  });
  return worst;
}
