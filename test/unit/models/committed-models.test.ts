import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { imageToMnist } from '../../../src/image/index.ts';
import { argmax, confusion } from '../../../src/nn/metrics.ts';
import { importOnnx } from '../../../src/onnx/import.ts';
import { sha256Hex } from '../../../src/util/sha256.ts';
import { loadMnist } from '../../../scripts/lib/mnist.ts';
import { loadDigitFixtures } from '../image/digit-fixtures.ts';

const { test } = loadMnist({ limit: 0 });
const fixtures = loadDigitFixtures();

// The models in models/ are what the Worker serves and what users publish: each must do what its
// card says, on MNIST and on digits from elsewhere (fonts, hand strokes; canvas, scan, inverted, photo).
describe.each(['digits', 'digits-cnn'])('models/%s.onnx', (name) => {
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

  it('classifies digits from outside MNIST (240 fixtures) through the same preprocessing as the Worker, core and onnxruntime alike', async () => {
    const { network } = await importOnnx(bytes);
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
