import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.ts';
import { Engines } from '../../functions/inference/engines.ts';
import { ModelCatalog } from '../../functions/models/catalog.ts';
import { MAX_IMAGE_BYTES, MAX_JSON_BYTES, PIXELS } from '../../functions/limits.ts';
import { call, expectError, ORIGIN, predictRequest, SELF } from './helpers.ts';

const valid = () => new Array<number>(PIXELS).fill(0.5);
const withPixel = (i: number, v: unknown) => {
  const p: unknown[] = valid();
  p[i] = v;
  return { pixels: p };
};

/** A body stream of `total` bytes in 16 KiB chunks that counts how much of it was pulled. */
function countingStream(total: number, byte = 0x20): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024).fill(byte);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

describe('bad JSON bodies', () => {
  it('400 for malformed JSON', async () => {
    const e = await expectError(await call(predictRequest('{"pixels": [0, 0,')), 400, 'malformed_json');
    expect(e.message).toContain('not valid JSON');
  });

  it('400 for an empty body', async () => {
    await expectError(await call(predictRequest('')), 400, 'empty_body');
  });

  it('400 for bytes that are not UTF-8', async () => {
    const req = new Request(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    const e = await expectError(await call(req), 400, 'malformed_json');
    expect(e.message).toContain('UTF-8');
  });

  it('400 for NaN and Infinity written as bare JSON tokens (not JSON)', async () => {
    await expectError(await call(predictRequest(`{"pixels":[NaN${',0'.repeat(PIXELS - 1)}]}`)), 400, 'malformed_json');
    await expectError(await call(predictRequest(`{"pixels":[Infinity${',0'.repeat(PIXELS - 1)}]}`)), 400, 'malformed_json');
  });

  it('422 for wrong types, naming where', async () => {
    for (const body of [{ pixels: 'abc' }, { pixels: null }, [1, 2, 3], 42, null, { pixels: [[0.5]] }, {}]) {
      await expectError(await call(predictRequest(body)), 422, 'invalid_pixels');
    }
    const e = await expectError(await call(predictRequest(withPixel(3, '0.5'))), 422, 'invalid_pixels');
    expect(e.message).toContain('pixels[3]');
    expect(e.message).toContain('expected number');
  });

  it('422 for NaN and Infinity sent as strings', async () => {
    for (const v of ['NaN', 'Infinity', '-Infinity']) {
      const e = await expectError(await call(predictRequest(withPixel(10, v))), 422, 'invalid_pixels');
      expect(e.message).toContain('pixels[10]');
    }
  });

  it('422 for an overflowing number (1e999 parses to Infinity)', async () => {
    const e = await expectError(await call(predictRequest(`{"pixels":[1e999${',0'.repeat(PIXELS - 1)}]}`)), 422, 'invalid_pixels');
    expect(e.message).toContain('pixels[0]');
  });

  it('422 for 783 and 785 pixels, naming the count', async () => {
    for (const n of [0, 783, 785]) {
      const e = await expectError(await call(predictRequest({ pixels: new Array(n).fill(0) })), 422, 'invalid_pixels');
      expect(e.message).toContain('784');
    }
  });

  it('422 for values outside 0..1', async () => {
    for (const v of [-0.001, 1.001, 255, -1]) {
      const e = await expectError(await call(predictRequest(withPixel(700, v))), 422, 'invalid_pixels');
      expect(e.message).toContain('pixels[700]');
    }
  });

  it('422 for unknown keys, and lists at most a few problems', async () => {
    const e = await expectError(await call(predictRequest({ pixels: valid(), pixel: [] })), 422, 'invalid_pixels');
    expect(e.message).toContain('pixel');
    const many = await expectError(await call(predictRequest({ pixels: new Array(PIXELS).fill('x') })), 422, 'invalid_pixels');
    expect(many.message).toContain('and 779 more');
  });

  it('accepts the edges 0 and 1 exactly, and a charset parameter', async () => {
    const pixels = valid();
    pixels[0] = 0;
    pixels[1] = 1;
    const res = await call(predictRequest({ pixels }, { 'content-type': 'Application/JSON; charset=UTF-8' }));
    expect(res.status).toBe(200);
  });
});

describe('content types', () => {
  it('415 for text, forms and a missing type, naming what is accepted', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'image/gif', 'image/webp']) {
      const e = await expectError(await call(predictRequest({ pixels: valid() }, { 'content-type': type })), 415, 'unsupported_media_type');
      expect(e.message).toContain('application/json');
    }
    const untyped = new Request(`${ORIGIN}/v1/predict`, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    expect(untyped.headers.get('content-type')).toBeNull();
    await expectError(await call(untyped), 415, 'unsupported_media_type');
  });

  it('400 for an empty image body', async () => {
    await expectError(await call(predictRequest(new Uint8Array(0), { 'content-type': 'image/png' })), 400, 'empty_body');
  });

  it('multipart without the image field, with a text field, or malformed', async () => {
    const noField = new FormData();
    noField.append('picture', new File([new Uint8Array([1])], 'x.png', { type: 'image/png' }));
    const e = await expectError(await call(new Request(`${ORIGIN}/v1/predict`, { method: 'POST', body: noField })), 422, 'missing_image');
    expect(e.message).toContain('"image"');

    const text = new FormData();
    text.append('image', 'not a file');
    await expectError(await call(new Request(`${ORIGIN}/v1/predict`, { method: 'POST', body: text })), 422, 'invalid_image_field');

    const broken = predictRequest('--x\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc', { 'content-type': 'multipart/form-data; boundary=y' });
    await expectError(await call(broken), 400, 'malformed_multipart');
  });
});

describe('body size limits, enforced before the body is read whole', () => {
  it('413 for a JSON body over the limit with Content-Length', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ pixels: valid(), pad: ' '.repeat(MAX_JSON_BYTES) }));
    const req = predictRequest(body, { 'content-type': 'application/json', 'content-length': String(body.length) });
    const e = await expectError(await call(req), 413, 'payload_too_large');
    expect(e.message).toContain(String(MAX_JSON_BYTES));
    expect(e.message).toContain(`${body.length} bytes`); // refused by the header, before reading
    // Over HTTP, where the client sets Content-Length itself.
    const res = await SELF.fetch(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await expectError(res, 413, 'payload_too_large');
  });

  it('413 for a JSON body over the limit without Content-Length, reading only about the limit', async () => {
    const { stream, pulled } = countingStream(100 * 1024 * 1024);
    const req = new Request(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    expect(req.headers.get('content-length')).toBeNull();
    await expectError(await call(req), 413, 'payload_too_large');
    expect(pulled()).toBeLessThan(MAX_JSON_BYTES + 256 * 1024);
  });

  it('413 for an image over the limit, with and without Content-Length', async () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    const e = await expectError(await call(predictRequest(big, { 'content-type': 'image/png', 'content-length': String(big.length) })), 413, 'payload_too_large');
    expect(e.message).toContain(`${big.length} bytes`);
    const { stream, pulled } = countingStream(200 * 1024 * 1024);
    const req = new Request(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: stream });
    await expectError(await call(req), 413, 'payload_too_large');
    expect(pulled()).toBeLessThan(MAX_IMAGE_BYTES + 1024 * 1024);
  });

  it('413 through the service binding too, for a chunked body', async () => {
    const { stream } = countingStream(1024 * 1024);
    const res = await SELF.fetch(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    await expectError(res, 413, 'payload_too_large');
  });
});

describe('unknown routes and methods', () => {
  it('404 for an unknown path', async () => {
    for (const path of ['/', '/v1', '/v1/predictions', '/v3/predict', '/healthz/x']) {
      const e = await expectError(await call(new Request(`${ORIGIN}${path}`)), 404, 'not_found');
      expect(e.message).toContain(path);
    }
    // Under /v2 the Open Inference Protocol's shape: { "error": "message" }.
    const v2 = await call(new Request(`${ORIGIN}/v2/predict`));
    expect(v2.status).toBe(404);
    expect(await v2.json()).toEqual({ error: 'no route for GET /v2/predict' });
  });

  it('405 with Allow for a known path and the wrong method', async () => {
    for (const [method, path, allow] of [
      ['GET', '/v1/predict', 'POST'],
      ['PUT', '/v1/predict', 'POST'],
      ['DELETE', '/v1/predict', 'POST'],
      ['POST', '/healthz', 'GET'],
      ['POST', '/v1/models', 'GET'],
      ['DELETE', '/v1/models/digits', 'GET'],
    ]) {
      const res = await call(new Request(`${ORIGIN}${path}`, { method }));
      expect(res.headers.get('allow')).toContain(allow);
      await expectError(res, 405, 'method_not_allowed');
    }
  });

  it('HEAD of a GET route answers without a body', async () => {
    const res = await call(new Request(`${ORIGIN}/healthz`, { method: 'HEAD' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('unexpected failures', () => {
  it('a JSON 500 with no stack or internals, when the served model is broken', async () => {
    const app = createApp({
      catalog: new ModelCatalog([{ name: 'digits', bytes: new Uint8Array(new TextEncoder().encode('not an onnx model')) }]),
      engines: new Engines(),
    });
    for (const [path, init] of [
      ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: new Array(PIXELS).fill(0) }) }],
      ['/v1/models', {}],
    ] as const) {
      const res = await app.request(`${ORIGIN}${path}`, init, {});
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'the server failed to answer; try again later' } });
      expect(text).not.toMatch(/onnx|protobuf|\.ts|at /i);
    }
  });
});
