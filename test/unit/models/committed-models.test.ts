import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { imageToMnist } from '../../../src/image/index.ts';
import { argmax, confusion } from '../../../src/nn/metrics.ts';
import { importOnnx } from '../../../src/onnx/import.ts';
import { sha256Hex } from '../../../src/util/sha256.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';
import { loadDigitFixtures } from '../image/digit-fixtures.ts';
import { digitSetPixels, loadDigitSet, predictedDigits, tallyDigitSet } from '../../../scripts/lib/digit-set.ts';
import { networkFlops } from '../../../src/nn/flops.ts';
import { nodeWasmBackend } from '../../../scripts/lib/wasm-kernels.ts';

const { test } = loadMnist({ limit: 0 });
const fixtures = loadDigitFixtures();
// The outside-MNIST set through the Worker's preprocessing, once for every model.
const digits = loadDigitSet();
const { pixels: digitPixels, refused } = digitSetPixels(digits);

// The models in models/ are what the Worker serves and what users publish: each must do what its
// card says, on MNIST and on digits from elsewhere (fonts, hand strokes; canvas, scan, inverted, photo).
describe.each(['digits', 'digits-mlp', 'digits-cnn'])('models/%s.onnx', (name) => {
  const bytes = new Uint8Array(readFileSync(`models/${name}.onnx`));
  const card = JSON.parse(readFileSync(`models/${name}.json`, 'utf8'));

  it('is the file its card describes, and reaches the accuracy the card states on the 10,000 MNIST test digits', async () => {
    expect(await sha256Hex([bytes])).toBe(card.sha256);
    const { network, metadata } = await importOnnx(bytes);
    expect(Number(metadata['nutshell.test_accuracy'])).toBeCloseTo(card.metrics.testAccuracy, 6);
    // Measured with onnxruntime (what the Worker serves). Within 5 digits of 10,000: a model trained
    // on a GPU was scored there, and float32 sums in another order can move a digit on a decision edge.
    const session = await ort.InferenceSession.create(bytes);
    const out = (await session.run({ input: new ort.Tensor('float32', test.pixels, [test.n, ...network.inputShape]) })).output.data as Float32Array;
    expect(Math.abs(confusion(out, test.labels, 10).accuracy - card.metrics.testAccuracy)).toBeLessThanOrEqual(0.0005);
  });

  it('reaches the accuracy its card states on the outside-MNIST set (data/digits, dev and test, canvas and paper), onnxruntime and the core alike, at the MFLOP it states', async () => {
    // The core as the Worker runs it: on its WASM kernels.
    const { network } = await importOnnx(bytes, { backend: await nodeWasmBackend() });
    const session = await ort.InferenceSession.create(bytes);
    const viaOrt = (await session.run({ input: new ort.Tensor('float32', digitPixels, [digits.length, ...network.inputShape]) })).output.data as Float32Array;
    const fromOrt = tallyDigitSet(digits, predictedDigits(viaOrt, refused));
    for (const key of ['dev', 'test', 'dev canvas', 'dev paper', 'test canvas', 'test paper']) {
      // The card's figures come from the core; float32 sums in another order may move a digit on a decision edge.
      expect(Math.abs(fromOrt[key].right - card.metrics.outsideMnist[key].right), key).toBeLessThanOrEqual(2);
    }
    // The core on every digit: the same answers.
    const core = await network.predict(digitPixels);
    const differ = digits.filter((_, i) => argmax(core, i * 10, 10) !== argmax(viaOrt, i * 10, 10)).length;
    expect(differ).toBeLessThanOrEqual(1);
    const fromCore = tallyDigitSet(digits, predictedDigits(core, refused));
    for (const key of ['dev', 'test']) expect(Math.abs(fromCore[key].right - card.metrics.outsideMnist[key].right), key).toBeLessThanOrEqual(1);
    expect(card.metrics.mflopsPerPrediction).toBeCloseTo(networkFlops(network.spec()).total / 1e6, 3);
  }, 300_000);

  it('classifies digits from outside MNIST (240 fixtures) through the same preprocessing as the Worker, core and onnxruntime alike', async () => {
    const { network } = await importOnnx(bytes, { backend: await nodeWasmBackend() });
    const session = await ort.InferenceSession.create(bytes);
    const byStyle = new Map<string, { right: number; total: number }>();
    let right = 0;
    for (const f of fixtures) {
      const { pixels } = imageToMnist(f.bytes, { contentType: f.contentType });
      const core = await network.predict(pixels);
      const viaOrt = (await session.run({ input: new ort.Tensor('float32', pixels, [1, ...network.inputShape]) })).output.data as Float32Array;
      expect(argmax(viaOrt)).toBe(argmax(core));
      const ok = argmax(core) === f.label;
      if (ok) right++;
      const s = byStyle.get(f.style) ?? { right: 0, total: 0 };
      byStyle.set(f.style, { right: s.right + (ok ? 1 : 0), total: s.total + 1 });
    }
    expect(right / fixtures.length).toBeGreaterThanOrEqual(0.95);
    for (const [style, s] of byStyle) expect(s.right / s.total, style).toBeGreaterThanOrEqual(0.9);
  });
});
