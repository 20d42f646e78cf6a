import { env } from 'cloudflare:test';
import { encode as encodePng } from 'fast-png';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_EXAMPLES_PER_DELIVERY, MAX_WEBHOOK_BYTES, MAX_WEBHOOK_IMAGE_BYTES } from '../../functions/limits.ts';
import { call, callWith, expectError, predictRequest } from './helpers.ts';
import { mnistTrain, newId, pixelsExample, recordingQueue, signedRequest, trainerOf } from './online-helpers.ts';
import { ancillaryBomb, ringPng } from '../../scripts/lib/worst-images.ts';

// The webhook's front door, with a recording queue in place of TRAINING_QUEUE: what was queued (or
// not) is seen exactly. Requests are signed by the `standardwebhooks` library, as a sender's would be.
// The queue, the trainer and the gate behind it: online.test.ts.

const send = (request: Request) => {
  const q = recordingQueue();
  return callWith(request, { TRAINING_QUEUE: q.queue }).then((res) => ({ res, sent: q.sent }));
};
const examples = (n: number) => Array.from({ length: n }, (_, i) => pixelsExample(i));
const base64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const MINUTE = 60_000;

/** Dark ink on white paper, enlarged 3x on a 100 x 90 sheet, as PNG bytes: what a phone or a scanner gives. */
function paperPng(i: number): Uint8Array {
  const ink = mnistTrain.pixels(i);
  const [w, h, s] = [100, 90, 3];
  const data = new Uint8Array(w * h).fill(255);
  for (let r = 0; r < 28 * s; r++) for (let c = 0; c < 28 * s; c++) data[(3 + r) * w + 7 + c] = 255 - Math.round(255 * ink[Math.floor(r / s) * 28 + Math.floor(c / s)]);
  return encodePng({ width: w, height: h, data, channels: 1, depth: 8 });
}

afterEach(() => vi.restoreAllMocks());

describe('POST /v1/webhooks/training: the signature (Standard Webhooks)', () => {
  it('a valid delivery is answered 202 once it is queued: examples quantised to bytes, with its id', async () => {
    const id = newId();
    const { res, sent } = await send(signedRequest({ examples: examples(3) }, { id }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3, delivery: id });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ delivery: id, model: 'digits', source: 'webhook' });
    expect(sent[0].records.length).toBe(3 * 785);
    for (let k = 0; k < 3; k++) {
      expect(sent[0].records[k * 785]).toBe(mnistTrain.labels[k]);
      // MNIST's own bytes come back exactly: pixels were v/255, quantised by rounding.
      expect(Array.from(sent[0].records.subarray(k * 785 + 1, (k + 1) * 785))).toEqual(mnistTrain.pixels(k).map((v) => Math.round(v * 255)));
    }
  });

  it('accepts any one valid signature among several (key rotation), and a timestamp 4 minutes old', async () => {
    const id = newId();
    const body = JSON.stringify({ examples: examples(1) });
    const at = new Date(Date.now() - 4 * MINUTE);
    const valid = new Webhook(env.WEBHOOK_SECRET).sign(id, at, body);
    const old = new Webhook('whsec_b2xkLXJvdGF0ZWQtb3V0LXNlY3JldC0xMjM0NQ==').sign(id, at, body);
    const { res, sent } = await send(signedRequest(null, { id, raw: body, timestamp: at, signature: `${old} v2,ignored ${valid}` }));
    expect(res.status).toBe(202);
    expect(sent).toHaveLength(1);
  });

  const body = { examples: examples(2) };
  const refusals: Array<[string, () => Request]> = [
    ['a wrong secret', () => signedRequest(body, { secret: 'whsec_d3Jvbmctc2VjcmV0LWZvci10ZXN0aW5nLW9ubHk=' })],
    ['no webhook-signature', () => withoutHeader(signedRequest(body), 'webhook-signature')],
    ['no webhook-id', () => withoutHeader(signedRequest(body), 'webhook-id')],
    ['no webhook-timestamp', () => withoutHeader(signedRequest(body), 'webhook-timestamp')],
    ['no signature headers at all', () => ['webhook-id', 'webhook-timestamp', 'webhook-signature'].reduce(withoutHeader, signedRequest(body))],
    ['a timestamp 6 minutes old (stale)', () => signedRequest(body, { timestamp: new Date(Date.now() - 6 * MINUTE) })],
    ['a timestamp 6 minutes ahead (future)', () => signedRequest(body, { timestamp: new Date(Date.now() + 6 * MINUTE) })],
    ['a timestamp that is not a number', () => signedRequest(body, { headers: { 'webhook-timestamp': 'yesterday' } })],
    ['the body modified after signing', () => {
      const id = newId();
      const signature = new Webhook(env.WEBHOOK_SECRET).sign(id, new Date(), JSON.stringify(body));
      const changed = { examples: [{ ...body.examples[0], label: (body.examples[0].label + 1) % 10 }, body.examples[1]] };
      return signedRequest(changed, { id, signature });
    }],
    ['a signature made for another webhook-id', () => {
      const signature = new Webhook(env.WEBHOOK_SECRET).sign('msg_other', new Date(), JSON.stringify(body));
      return signedRequest(body, { signature });
    }],
    ['a signature of another version (v2 only)', () => signedRequest(body, { signature: 'v2,AAAA' })],
  ];
  it.each(refusals)('401 with nothing queued and no secret in the answer or the logs: %s', async (_name, make) => {
    const logged = [vi.spyOn(console, 'error'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log')];
    const { res, sent } = await send(make());
    const e = await expectError(res, 401, 'invalid_signature');
    expect(sent).toHaveLength(0);
    const secret = env.WEBHOOK_SECRET.slice('whsec_'.length);
    expect(e.message).not.toContain(secret);
    for (const spy of logged) for (const args of spy.mock.calls) expect(JSON.stringify(args.map(String))).not.toContain(secret);
  });

  it('the very same signed request again is 202 with "duplicate": true and nothing queued; a redelivery, signed anew, is queued', async () => {
    const id = newId();
    const payload = JSON.stringify(body);
    const at = new Date(Date.now() - 30_000);
    const first = await send(signedRequest(null, { id, raw: payload, timestamp: at }));
    expect(first.res.status).toBe(202);
    expect(await first.res.json()).toEqual({ accepted: body.examples.length, delivery: id });
    expect(first.sent).toHaveLength(1);
    // A sender's retry after a lost answer: the same bytes, headers and signature.
    const retry = await send(signedRequest(null, { id, raw: payload, timestamp: at }));
    expect(retry.res.status).toBe(202);
    expect(await retry.res.json()).toEqual({ accepted: body.examples.length, delivery: id, duplicate: true });
    expect(retry.sent).toHaveLength(0);
    // A redelivery: same id, its own timestamp and signature. Queued (and applied once, by id).
    const redelivery = await send(signedRequest(null, { id, raw: payload, timestamp: new Date(at.getTime() + 5000) }));
    expect(redelivery.res.status).toBe(202);
    expect(await redelivery.res.json()).toEqual({ accepted: body.examples.length, delivery: id });
    expect(redelivery.sent).toHaveLength(1);
  });

  it('the same signed request while its first attempt is still being queued: 409 delivery_in_progress with Retry-After, nothing queued', async () => {
    const id = newId();
    const payload = JSON.stringify(body);
    const at = new Date(Date.now() - 30_000);
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(payload))), (b) => b.toString(16).padStart(2, '0')).join('');
    // The first attempt admitted, its queueing not yet done (as while an isolate awaits the queue).
    expect(await trainerOf().admitAttempt(id, Math.floor(at.getTime() / 1000), digest)).toBe('new');
    const retry = await send(signedRequest(null, { id, raw: payload, timestamp: at }));
    await expectError(retry.res, 409, 'delivery_in_progress');
    expect(retry.res.headers.get('retry-after')).toBe('1');
    expect(retry.sent).toHaveLength(0);
    await trainerOf().attemptQueued(id, Math.floor(at.getTime() / 1000));
    const again = await send(signedRequest(null, { id, raw: payload, timestamp: at }));
    expect(await again.res.json()).toMatchObject({ delivery: id, duplicate: true });
    expect(again.sent).toHaveLength(0);
  });

  it('an image whose color profile inflates to 128 MiB is read without it: the same pixels as the image alone', async () => {
    const bomb = ancillaryBomb('iCCP', 128).bytes;
    const { res, sent } = await send(signedRequest({ examples: [{ label: 0, image: base64(bomb) }, { label: 0, image: base64(ringPng(64, 64, 0, 8)) }] }));
    expect(res.status, await res.clone().text()).toBe(202);
    expect(sent).toHaveLength(1);
    expect(Array.from(sent[0].records.subarray(0, 785))).toEqual(Array.from(sent[0].records.subarray(785, 1570)));
  });

  it('without a configured secret every delivery is refused (503), logged without a value', async () => {
    for (const secret of [undefined, '', 'not-a-whsec-secret!']) {
      const q = recordingQueue();
      const res = await callWith(signedRequest(body), { TRAINING_QUEUE: q.queue, WEBHOOK_SECRET: secret });
      await expectError(res, 503, 'webhook_not_configured');
      expect(q.sent).toHaveLength(0);
    }
  });
});

describe('POST /v1/webhooks/training: the body, checked after the signature', () => {
  it('413 for a body over the limit, before the signature is even looked at', async () => {
    const big = new Request('http://worker/v1/webhooks/training', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(MAX_WEBHOOK_BYTES + 1) });
    const { res, sent } = await send(big);
    await expectError(res, 413, 'payload_too_large');
    expect(sent).toHaveLength(0);
  });

  const cases: Array<[string, () => Request, number, string, RegExp]> = [
    ['not JSON', () => signedRequest(null, { raw: '{"examples": [' }), 400, 'malformed_json', /not valid JSON/],
    ['a content type other than JSON', () => signedRequest(body(1), { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', /application\/json/],
    ['no examples', () => signedRequest({ examples: [] }), 422, 'invalid_delivery', /examples/],
    [`more than ${MAX_EXAMPLES_PER_DELIVERY} examples`, () => signedRequest({ examples: new Array(MAX_EXAMPLES_PER_DELIVERY + 1).fill(pixelsExample(0)) }), 422, 'invalid_delivery', /examples/],
    ['a label out of range (index named)', () => signedRequest({ examples: [pixelsExample(0), pixelsExample(1), { ...pixelsExample(2), label: 10 }] }), 422, 'invalid_delivery', /examples\[2\]\.label/],
    ['a fractional label', () => signedRequest({ examples: [{ ...pixelsExample(0), label: 2.5 }] }), 422, 'invalid_delivery', /examples\[0\]\.label/],
    ['783 pixels', () => signedRequest({ examples: [pixelsExample(0), { label: 1, pixels: mnistTrain.pixels(1).slice(1) }] }), 422, 'invalid_delivery', /examples\[1\]\.pixels/],
    ['785 pixels', () => signedRequest({ examples: [{ label: 1, pixels: [...mnistTrain.pixels(1), 0] }] }), 422, 'invalid_delivery', /examples\[0\]\.pixels/],
    ['a pixel over 1', () => signedRequest({ examples: [{ label: 1, pixels: mnistTrain.pixels(1).map((v, j) => (j === 5 ? 1.5 : v)) }] }), 422, 'invalid_delivery', /examples\[0\]\.pixels\[5\]/],
    ['a pixel that is a string', () => signedRequest({ examples: [{ label: 1, pixels: mnistTrain.pixels(1).map((v, j) => (j === 9 ? 'x' : v)) }] }), 422, 'invalid_delivery', /examples\[0\]\.pixels\[9\]/],
    ['both or neither of image and pixels', () => signedRequest({ examples: [{ label: 1 }] }), 422, 'invalid_delivery', /examples\[0\]\.pixels/],
    ['an unknown field', () => signedRequest({ examples: examples(1), extra: true }), 422, 'invalid_delivery', /extra/],
    ['an unknown model', () => signedRequest({ model: 'letters', examples: examples(1) }), 422, 'unknown_model', /letters/],
    ['a model name that cannot be one', () => signedRequest({ model: '../digits', examples: examples(1) }), 422, 'invalid_delivery', /model/],
    ['an image that is not base64', () => signedRequest({ examples: [{ label: 3, image: 'not base64 at all!' }] }), 422, 'invalid_delivery', /examples\[0\]\.image: not base64/],
    ['an image that is not PNG or JPEG', () => signedRequest({ examples: [pixelsExample(0), { label: 3, image: btoa('GIF89a and more bytes here') }] }), 415, 'unsupported_media_type', /^examples\[1\]\.image: /],
    ['an image over the byte limit', () => signedRequest({ examples: [{ label: 3, image: 'A'.repeat(Math.ceil(((MAX_WEBHOOK_IMAGE_BYTES + 3) * 4) / 3 / 4) * 4) }] }), 413, 'image_too_large', /examples\[0\]\.image/],
    ['a webhook-id with a slash', () => signedRequest(body(1), { id: 'a/b' }), 400, 'invalid_webhook_id', /webhook-id/],
    ['a webhook-id of the feedback kind', () => signedRequest(body(1), { id: 'fb_123' }), 400, 'invalid_webhook_id', /fb_/],
  ];
  it.each(cases)('%s: refused with its status, naming what is wrong, nothing queued', async (_name, make, status, code, message) => {
    const { res, sent } = await send(make());
    const e = await expectError(res, status, code);
    expect(e.message).toMatch(message);
    expect(sent).toHaveLength(0);
  });

  it('a PNG is preprocessed at ingress exactly as /v1/predict preprocesses it (then quantised)', async () => {
    const digits = [0, 1, 2, 3].map((i) => ({ i, png: paperPng(i) }));
    const { res, sent } = await send(signedRequest({ examples: digits.map(({ i, png }) => ({ label: mnistTrain.labels[i], image: base64(png) })) }));
    expect(res.status, await res.clone().text()).toBe(202);
    for (const [k, { png }] of digits.entries()) {
      const queued = Array.from(sent[0].records.subarray(k * 785 + 1, (k + 1) * 785), (v) => v / 255);
      const fromImage = (await (await call(predictRequest(png, { 'content-type': 'image/png' }))).json()) as { digit: number; probabilities: number[] };
      const fromQueued = (await (await call(predictRequest({ pixels: queued }))).json()) as { digit: number; probabilities: number[] };
      expect(fromQueued.digit).toBe(fromImage.digit);
      // The same 784 values but for 8-bit rounding (at most 1/510 per pixel).
      for (let c = 0; c < 10; c++) expect(Math.abs(fromQueued.probabilities[c] - fromImage.probabilities[c])).toBeLessThan(0.02);
    }
    // A data: URL is taken too.
    const url = await send(signedRequest({ examples: [{ label: mnistTrain.labels[5], image: `data:image/png;base64,${base64(paperPng(5))}` }] }));
    expect(url.res.status).toBe(202);
  });
});

function body(n: number) {
  return { examples: examples(n) };
}

function withoutHeader(request: Request, name: string): Request {
  const headers = new Headers(request.headers);
  headers.delete(name);
  return new Request(request, { headers });
}
