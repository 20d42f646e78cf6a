import { env } from 'cloudflare:test';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { call, expectError, ORIGIN, predictRequest } from './helpers.ts';
import { readFixture } from './mnist-fixture.ts';
import { MAX_IMAGE_PIXELS } from '../../functions/limits.ts';
import { MAX_JPEG_SCANS } from '../../src/image/limits.ts';
import { ancillaryBomb, largestJpegSide, ringJpeg, ringPng } from '../../scripts/lib/worst-images.ts';

interface Prediction {
  digit: number;
  probabilities: number[];
}

const mnist = readFixture(env.MNIST_TEST);
/** 1,000 test digits spread over the whole test set (every 10th). */
const SAMPLE = Array.from({ length: 1000 }, (_, k) => k * 10);

/** The digit as 8-bit ink values (ink high). */
function ink(i: number): Uint8Array {
  return Uint8Array.from(mnist.pixels(i), (v) => Math.round(v * 255));
}

/** Dark ink on white paper, enlarged `scale` times and placed at (x, y) on a larger sheet. */
function onPaper(i: number, scale: number, width: number, height: number, x: number, y: number): Uint8Array {
  const src = ink(i);
  const out = new Uint8Array(width * height).fill(255);
  for (let r = 0; r < 28 * scale; r++) {
    for (let c = 0; c < 28 * scale; c++) out[(y + r) * width + x + c] = 255 - src[Math.floor(r / scale) * 28 + Math.floor(c / scale)];
  }
  return out;
}

async function predict(body: Uint8Array, type: string): Promise<Prediction> {
  const res = await call(predictRequest(body, { 'content-type': type }));
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return res.json();
}

async function predictPixels(i: number): Promise<number> {
  const res = await call(predictRequest({ pixels: mnist.pixels(i) }));
  return ((await res.json()) as Prediction).digit;
}

async function accuracy(make: (i: number) => Promise<Prediction>): Promise<{ accuracy: number; reference: number; agree: number }> {
  let correct = 0;
  let reference = 0;
  let agree = 0;
  for (const i of SAMPLE) {
    const [a, b] = await Promise.all([make(i), predictPixels(i)]);
    if (a.digit === mnist.labels[i]) correct++;
    if (b === mnist.labels[i]) reference++;
    if (a.digit === b) agree++;
  }
  return { accuracy: correct / SAMPLE.length, reference: reference / SAMPLE.length, agree: agree / SAMPLE.length };
}

describe('POST /v1/predict with images (decoded and preprocessed inside the Worker)', () => {
  it('MNIST digits as 28x28 PNG (dark ink on white): the accuracy of the raw pixels, within 0.5 points', async () => {
    const r = await accuracy((i) => predict(encodePng({ width: 28, height: 28, data: onPaper(i, 1, 28, 28, 0, 0), channels: 1 }), 'image/png'));
    expect(Math.abs(r.accuracy - r.reference)).toBeLessThanOrEqual(0.005);
  });

  it('MNIST digits enlarged 4x at an offset on a 160x130 sheet, as JPEG (quality 90): within 0.5 points', async () => {
    const r = await accuracy(async (i) => {
      const gray = onPaper(i, 4, 160, 130, 20 + (i % 17), 5 + (i % 11));
      const rgba = new Uint8Array(160 * 130 * 4);
      for (let p = 0; p < gray.length; p++) rgba.set([gray[p], gray[p], gray[p], 255], 4 * p);
      const bytes = jpeg.encode({ width: 160, height: 130, data: rgba }, 90).data;
      return predict(new Uint8Array(bytes), 'image/jpeg');
    });
    expect(Math.abs(r.accuracy - r.reference)).toBeLessThanOrEqual(0.005);
  });

  it('canvas-style RGBA (black ink, transparent background) as multipart, and light-on-dark images, classified like the raw digits', async () => {
    const canvas = await accuracy(async (i) => {
      const src = ink(i);
      const rgba = new Uint8Array(28 * 28 * 4);
      for (let p = 0; p < 784; p++) rgba.set([0, 0, 0, src[p]], 4 * p); // alpha carries the ink
      const form = new FormData();
      form.append('image', new File([encodePng({ width: 28, height: 28, data: rgba, channels: 4 })], 'drawing.png', { type: 'image/png' }));
      const res = await call(new Request(`${ORIGIN}/v1/predict`, { method: 'POST', body: form }));
      return res.json() as Promise<Prediction>;
    });
    expect(canvas.agree).toBeGreaterThanOrEqual(0.99);
    const inverted = await accuracy((i) => predict(encodePng({ width: 28, height: 28, data: ink(i), channels: 1 }), 'image/png'));
    expect(inverted.agree).toBeGreaterThanOrEqual(0.99);
  });

  it('refuses what is not a usable image with the right 4xx', async () => {
    const png = encodePng({ width: 28, height: 28, data: onPaper(0, 1, 28, 28, 0, 0), channels: 1 });
    await expectError(await call(predictRequest(png.subarray(0, 40), { 'content-type': 'image/png' })), 400);
    await expectError(await call(predictRequest(new TextEncoder().encode('GIF89a....'), { 'content-type': 'image/png' })), 415);
    await expectError(await call(predictRequest(png, { 'content-type': 'image/jpeg' })), 415, 'content_type_mismatch');
    await expectError(await call(predictRequest(encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(255), channels: 1 }), { 'content-type': 'image/png' })), 422, 'no_digit');
    // A 100,000 x 100,000 PNG header: refused from the header, nothing allocated.
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 100_000);
    new DataView(bomb.buffer).setUint32(20, 100_000);
    await expectError(await call(predictRequest(bomb, { 'content-type': 'image/png' })), 413);
    // Over the Worker's 4-megapixel limit (a 12 MP phone photo).
    const big = png.slice();
    new DataView(big.buffer).setUint32(16, 4000);
    new DataView(big.buffer).setUint32(20, 3000);
    expect((await expectError(await call(predictRequest(big, { 'content-type': 'image/png' })), 413)).message).toMatch(/pixel/);
  });

  it('skips a color profile or compressed text that inflates to 256 MiB, and reads the digit', async () => {
    for (const type of ['iCCP', 'zTXt', 'iTXt'] as const) {
      const bomb = ancillaryBomb(type, 256);
      expect((await predict(bomb.bytes, 'image/png')).digit).toBe(0);
    }
  });

  it('takes the costliest images within the limits: the most pixels at 16 bits, JPEGs at the edge of the decoding memory', async () => {
    const side = Math.sqrt(MAX_IMAGE_PIXELS);
    expect((await predict(ringPng(side, side, 6, 16), 'image/png')).digit).toBe(0);
    expect((await predict(ringPng(side, side, 2, 16, { interlaced: true }), 'image/png')).digit).toBe(0);
    for (const layout of ['4:2:0', '4:4:4'] as const) {
      const fits = largestJpegSide(layout);
      expect((await predict(ringJpeg(fits, fits, layout, MAX_JPEG_SCANS), 'image/jpeg')).digit).toBe(0);
      const over = ringJpeg(fits + 32, fits + 32, layout);
      expect((await expectError(await call(predictRequest(over, { 'content-type': 'image/jpeg' })), 413, 'too_many_pixels')).message).toMatch(/decoding it takes about \d+ MB/);
    }
  });
});
