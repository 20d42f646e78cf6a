import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkModel, probeWith } from '../../../src/models/check.ts';
import { describeOnnx, metricsOf } from '../../../src/models/describe.ts';
import { Network, type NetworkSpec } from '../../../src/nn/network.ts';
import { exportOnnx } from '../../../src/onnx/export.ts';

// The checks a model file passes before it is served (the admin upload, the trainer's candidates,
// scripts/publish.ts), run against onnxruntime-node: real files exported by the core.
const runtime = probeWith(ort);

const mlp = (input: number[], outputs: number): NetworkSpec => ({
  input,
  layers: [{ type: 'flatten' }, { type: 'dense', units: 16 }, { type: 'activation', fn: 'relu' }, { type: 'dense', units: outputs }, { type: 'activation', fn: 'softmax' }],
});
const file = (spec: NetworkSpec, metadata: Record<string, string> = {}) => exportOnnx(new Network(spec, { seed: 1 }), { metadata });

describe('describeOnnx and metricsOf', () => {
  it('reads the per-example input shape and the metadata from the envelope', async () => {
    const bytes = await file(mlp([1, 28, 28], 10), { 'nutshell.test_accuracy': '0.9383' });
    const { inputShape, metadata } = describeOnnx(bytes);
    expect(inputShape).toEqual([1, 28, 28]);
    expect(metadata['nutshell.test_accuracy']).toBe('0.9383');
  });

  it('numeric nutshell.* figures in camelCase, the card overriding; the spec, hashes and words left out', () => {
    const metadata = { 'nutshell.test_accuracy': '0.9383', 'nutshell.test_loss': '0.2', 'nutshell.spec': '{}', 'nutshell.weights_sha256': 'ab', 'nutshell.note': 'words', other: '1' };
    expect(metricsOf(metadata)).toEqual({ testAccuracy: 0.9383, testLoss: 0.2 });
    expect(metricsOf(metadata, { metrics: { testAccuracy: 0.99, history: [], stopReason: null } })).toEqual({ testAccuracy: 0.99, testLoss: 0.2 });
  });

  it('refuses bytes that are not ONNX', () => {
    expect(() => describeOnnx(new Uint8Array([1, 2, 3]))).toThrow();
  });
});

describe('checkModel', () => {
  it('passes a digits model, flat or as an image', async () => {
    await expect(checkModel(runtime, await file(mlp([784], 10)))).resolves.toBeUndefined();
    await expect(checkModel(runtime, await file(mlp([1, 28, 28], 10)))).resolves.toBeUndefined();
  });

  it('names the first check that fails', async () => {
    await expect(checkModel(runtime, new Uint8Array([0x08, 0x01]))).rejects.toThrow(/not an ONNX model|does not load/);
    await expect(checkModel(runtime, await file(mlp([783], 10)))).rejects.toThrow(/takes input \[783\]; it must take the 784 pixels/);
    await expect(checkModel(runtime, await file(mlp([784], 9)))).rejects.toThrow(/answers 9 values; a digits model answers 10/);
  });
});
