import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { Network } from '../../../src/nn/network.ts';
import { Rng } from '../../../src/nn/rng.ts';
import { exportOnnx, importOnnx, OnnxError } from '../../../src/onnx/index.ts';
import { randomInputs, supportedShapes } from './random-networks.ts';

ortWeb.env.wasm.numThreads = 1;

type Ort = typeof ortNode | typeof ortWeb;

async function runOrt(ort: Ort, bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await (ort as typeof ortNode).InferenceSession.create(bytes);
  const feeds = { input: new (ort as typeof ortNode).Tensor('float32', input, shape) };
  const out = await session.run(feeds);
  return out.output.data as Float32Array;
}

/** A network with weights and batch-norm statistics away from their initial values. */
async function trainedLooking(spec: ConstructorParameters<typeof Network>[0], seed: number): Promise<Network> {
  const net = new Network(spec, { seed });
  const rng = new Rng(seed + 100);
  const ws = await net.weights();
  net.setWeights(ws.map((w) => ({ ...w, data: w.name.endsWith('.var') ? w.data.map(() => 0.5 + rng.uniform()) : w.data.map((v) => v + 0.1 * rng.normal()) })));
  return net;
}

describe('ONNX export: onnxruntime runs the core networks and agrees within 1e-5', () => {
  for (const { name, spec } of supportedShapes()) {
    for (const [runtime, ort] of [['onnxruntime-node', ortNode], ['onnxruntime-web (wasm, in Node)', ortWeb]] as const) {
      it(`${name} — ${runtime}`, async () => {
        const net = await trainedLooking(spec, 5);
        const n = 7;
        const x = randomInputs(n, net.inputSize, 9);
        const expected = await net.predict(x);
        const got = await runOrt(ort, await exportOnnx(net), x, [n, ...net.inputShape]);
        expect(got.length).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});

describe('ONNX import', () => {
  for (const { name, spec } of supportedShapes()) {
    it(`export -> import -> export is byte-stable: ${name}`, async () => {
      const net = await trainedLooking(spec, 6);
      const first = await exportOnnx(net, { metadata: { 'nutshell.test_accuracy': '0.5' } });
      const { network, metadata } = await importOnnx(first);
      expect(metadata['nutshell.test_accuracy']).toBe('0.5');
      expect(network.spec()).toEqual(net.spec());
      const second = await exportOnnx(network, { metadata: { 'nutshell.test_accuracy': '0.5' } });
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
      const x = randomInputs(3, net.inputSize, 4);
      expect(Array.from(await network.predict(x))).toEqual(Array.from(await net.predict(x)));
    });
  }

  it('an imported model can be fine-tuned (it is a core network with trainable weights)', async () => {
    const net = await trainedLooking(supportedShapes()[0].spec, 1);
    const { network } = await importOnnx(await exportOnnx(net));
    expect(network.params().map((p) => p.name)).toEqual(net.params().map((p) => p.name));
  });

  it('rejects corrupt bytes and a tampered weight with an OnnxError', async () => {
    await expect(importOnnx(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(OnnxError);
    const bytes = await exportOnnx(new Network(supportedShapes()[0].spec, { seed: 2 }));
    const tampered = bytes.slice();
    // Flip a bit in the middle of the first weight matrix (well inside the raw data).
    tampered[Math.floor(bytes.length / 2)] ^= 0x10;
    await expect(importOnnx(tampered)).rejects.toThrow(OnnxError);
  });
});
