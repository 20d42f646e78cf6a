import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { IMAGE_FIELD, MAX_IMAGE_BYTES, PIXELS } from '../../../functions/limits.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import type { ImageToPixels } from '../../../functions/predict/image.ts';
import { mnistDir } from '../../../scripts/lib/mnist.ts';
import { labelledImages } from '../../../src/data/idx.ts';

// The request side of image predictions: which bytes and content type reach the one function that
// turns an image into pixels (predict/image.ts, where src/image will be wired), and how its refusals
// are answered. The function given here reads 784 raw grayscale bytes: the image codec itself is
// src/image's job and is tested there.

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const read = (f: string) => new Uint8Array(readFileSync(join(mnistDir(), f)));
const mnist = labelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'));
const raw = (i: number) => Uint8Array.from(mnist.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), (v) => Math.round(v * 255));

/** An error shaped like src/image's ImageError: a 4xx status and a code. */
class DecoderRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function appWith(decode: ImageToPixels) {
  return createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines(), imageToPixels: decode });
}
const env = { INFERENCE_ENGINE: 'core' };

describe('image bodies reach the image decoder', () => {
  const seen: Array<{ bytes: Uint8Array; type: string }> = [];
  const rawGray: ImageToPixels = (b, type) => {
    seen.push({ bytes: b, type });
    if (b.length !== PIXELS) throw new DecoderRefusal(422, 'no_digit', `expected ${PIXELS} bytes`);
    return Float32Array.from(b, (v) => v / 255);
  };

  it('raw and multipart images are answered like the same pixels sent as JSON', async () => {
    const app = appWith(rawGray);
    const image = raw(0);
    const asJson = await (await app.request('/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: Array.from(mnist.pixels.subarray(0, PIXELS)) }) }, env)).json();

    const asRaw = await app.request('/v1/predict', { method: 'POST', headers: { 'content-type': 'image/png' }, body: image }, env);
    expect(asRaw.status).toBe(200);
    expect(await asRaw.json()).toEqual(asJson);
    expect(seen.at(-1)).toEqual({ bytes: image, type: 'image/png' });

    const form = new FormData();
    form.append('note', 'a seven');
    form.append(IMAGE_FIELD, new File([image], 'seven.jpg', { type: 'image/jpeg' }));
    const asForm = await app.request('/v1/predict', { method: 'POST', body: form }, env);
    expect(asForm.status).toBe(200);
    expect(await asForm.json()).toEqual(asJson);
    expect(seen.at(-1)).toEqual({ bytes: image, type: 'image/jpeg' });
    expect((asJson as { digit: number }).digit).toBe(mnist.labels[0]);
  });

  it("the decoder's refusals keep their status and code", async () => {
    const res = await appWith(rawGray).request('/v1/predict', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(10) }, env);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: 'no_digit', message: `expected ${PIXELS} bytes` } });
  });

  it('an image part over the limit is 413 before decoding', async () => {
    const decode: ImageToPixels = () => {
      throw new Error('must not be called');
    };
    const form = new FormData();
    form.append(IMAGE_FIELD, new File([new Uint8Array(MAX_IMAGE_BYTES + 1)], 'big.png', { type: 'image/png' }));
    const res = await appWith(decode).request('/v1/predict', { method: 'POST', body: form }, env);
    expect(res.status).toBe(413);
  });
});
