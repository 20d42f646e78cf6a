import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Engines } from '../../functions/inference/engines.ts';
import type { Engine } from '../../functions/inference/engine.ts';
import type { OnnxRuntimeService } from '../../functions/inference/onnxruntime-service.ts';
import { loadBundled } from '../../functions/models/bundled.ts';
import type { ServedModel } from '../../functions/models/model.ts';
import digitsOnnx from '../../models/digits.onnx';
import mlpOnnx from '../../models/digits-mlp.onnx';
import { Network } from '../../src/nn/network.ts';
import { PRESETS } from '../../src/nn/presets.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { readFixture } from './mnist-fixture.ts';

/** The onnxruntime Worker, run beside this one by the pool (vitest.config.ts). */
const runtime = env.ONNXRUNTIME as unknown as OnnxRuntimeService;
const noWait = () => {};

/** Runs both engines on the same inputs and returns the largest difference; checks the argmax agrees. */
async function compare(ort: Engine, core: Engine, inputs: Float32Array[]): Promise<number> {
  let worst = 0;
  for (const x of inputs) {
    const [a, b] = [await ort.predict(x), await core.predict(x)];
    expect(a.length).toBe(10);
    expect(b.length).toBe(10);
    for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
    expect(a.indexOf(Math.max(...a))).toBe(b.indexOf(Math.max(...b)));
  }
  return worst;
}

function mnistInputs(n: number): Float32Array[] {
  const mnist = readFixture(env.MNIST_TEST);
  return Array.from({ length: n }, (_, i) => Float32Array.from(mnist.pixels(i * 7)));
}

function uniformInputs(n: number, seed = 1): Float32Array[] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  return [new Float32Array(784), new Float32Array(784).fill(1), ...Array.from({ length: n }, () => Float32Array.from({ length: 784 }, next))];
}

describe('onnxruntime (its own Worker, over RPC) and the core agree inside workerd', () => {
  it('on the bundled edge CNN [1, 28, 28]: MNIST digits and uniform noise, within 1e-5, same digit', async () => {
    const model = await loadBundled({ name: 'digits', bytes: new Uint8Array(digitsOnnx) });
    expect(model.inputShape).toEqual([1, 28, 28]);
    const engines = new Engines();
    const key = `${model.name}@${model.version}`;
    const [ort, core] = await Promise.all([engines.ortFor(key, model, runtime), engines.coreFor(key, model)]);
    expect([ort.kind, core.kind]).toEqual(['onnxruntime', 'core']);
    expect(await compare(ort, core, [...mnistInputs(300), ...uniformInputs(50)])).toBeLessThanOrEqual(1e-5);
  });

  it("on the article's MLP [784] (models/digits-mlp.onnx), within 1e-5, same digit", async () => {
    const model = await loadBundled({ name: 'digits-mlp', bytes: new Uint8Array(mlpOnnx) });
    expect(model.inputShape).toEqual([784]);
    const engines = new Engines();
    const key = `${model.name}@${model.version}`;
    const [ort, core] = await Promise.all([engines.ortFor(key, model, runtime), engines.coreFor(key, model)]);
    expect(await compare(ort, core, [...mnistInputs(100), ...uniformInputs(20)])).toBeLessThanOrEqual(1e-5);
  });

  it('on a CNN taking [1, 28, 28] (LeNet-5, seeded weights), within 1e-5, same digit', async () => {
    const net = new Network(PRESETS.lenet5.build({}), { seed: 7 });
    const model = await loadBundled({ name: 'lenet', bytes: new Uint8Array(await exportOnnx(net)) });
    expect(model.inputShape).toEqual([1, 28, 28]);
    const engines = new Engines();
    const key = `${model.name}@${model.version}`;
    const [ort, core] = await Promise.all([engines.ortFor(key, model, runtime), engines.coreFor(key, model)]);
    expect(await compare(ort, core, [...mnistInputs(20), ...uniformInputs(5)])).toBeLessThanOrEqual(1e-5);
  });
});

describe('Engines: one per model version, created once', () => {
  const digits = () => loadBundled({ name: 'digits', bytes: new Uint8Array(digitsOnnx) });

  it('concurrent first requests get one engine', async () => {
    const model = await digits();
    for (const mode of ['onnxruntime', 'core'] as const) {
      const engines = new Engines();
      const all = await Promise.all(Array.from({ length: 8 }, () => engines.get(model, mode, runtime, noWait)));
      expect(new Set(all).size).toBe(1);
      expect(all[0].kind).toBe(mode);
      expect(await engines.get(model, mode, runtime, noWait)).toBe(all[0]);
    }
  });

  it('auto: the core answers until onnxruntime, set up once in the background, is ready', async () => {
    const model = await digits();
    const engines = new Engines();
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => background.push(p);
    const first = await Promise.all(Array.from({ length: 4 }, () => engines.get(model, 'auto', runtime, waitUntil)));
    expect(first.map((e) => e.kind)).toEqual(['core', 'core', 'core', 'core']);
    expect(background).toHaveLength(1);
    await Promise.all(background);
    const later = await engines.get(model, 'auto', runtime, waitUntil);
    expect(later.kind).toBe('onnxruntime');
    expect(background).toHaveLength(1);
    const x = mnistInputs(1)[0];
    const [a, b] = [await later.predict(x), await first[0].predict(x)];
    for (let k = 0; k < 10; k++) expect(Math.abs(a[k] - b[k])).toBeLessThanOrEqual(1e-5);
  });

  it('a new version gets its own engine; the least recently used beyond two versions are dropped', async () => {
    const base = await digits();
    const versions: ServedModel[] = ['a', 'b', 'c'].map((v) => ({ ...base, version: v }));
    const engines = new Engines(2);
    const [a, b] = [await engines.get(versions[0], 'core', runtime, noWait), await engines.get(versions[1], 'core', runtime, noWait)];
    expect(a).not.toBe(b);
    expect(await engines.get(versions[0], 'core', runtime, noWait)).toBe(a); // 'a' used last: 'b' is now the least recently used
    await engines.get(versions[2], 'core', runtime, noWait);
    expect(await engines.get(versions[0], 'core', runtime, noWait)).toBe(a);
    expect(await engines.get(versions[1], 'core', runtime, noWait)).not.toBe(b); // 'b' was dropped and rebuilt
  });
});
