/**
 * Cases for POST /v1/webhooks/training: valid signed deliveries; unsigned, mis-signed, stale and
 * modified ones (401 with nothing queued); the same signed request again (202, a duplicate, nothing
 * queued) and another body under its id and timestamp (409); and signed ones whose body is wrong
 * (labels out of range, 783/785 pixels, bad images and bombs, unicode and binary in every field),
 * so that the parser behind the signature is reached.
 */
import { MAX_DELIVERY_ID_CHARS, MAX_EXAMPLES_PER_DELIVERY, MAX_WEBHOOK_BYTES, MAX_WEBHOOK_IMAGE_BYTES, MAX_WEBHOOK_IMAGE_PIXELS, PIXELS } from '../../../functions/limits.ts';
import { DELIVERY_ID, FEEDBACK_ID_PREFIX } from '../../../functions/queue/message.ts';
import { ab, json, one, post, utf8, WEBHOOK, type BuiltCase, type Expectation } from './case.ts';
import { ancillaryBomb, ringPng } from '../worst-images.ts';
import { base64, bombSize, pngHeaderOnly } from './materials.ts';
import { headerValue, int, jsonValue, mutateBytes, pick, unicodeString, utf8AsLatin1 } from './mutate.ts';
import type { CaseBuilder } from './predict-cases.ts';

export const WEBHOOK_CASES = {

  'webhook/valid'(m, random, index) {
    const { body, examples } = m.delivery(random);
    const id = m.deliveryId(index);
    const request = m.signed(json(body), { id, at: m.now() - int(random, 240_000), contentType: pick(random, ['application/json', 'application/json; charset=utf-8']) });
    return one(`a valid delivery of ${examples}`, request, { statuses: [202], accepts: { delivery: id, examples } });
  },

  'webhook/unsigned'(m, random, index) {
    const signed = m.signed(json(m.delivery(random).body), { id: m.deliveryId(index) });
    const drop = pick(random, [['webhook-signature'], ['webhook-id'], ['webhook-timestamp'], ['webhook-signature', 'webhook-timestamp'], ['webhook-id', 'webhook-timestamp', 'webhook-signature']]);
    signed.headers = signed.headers.filter(([k]) => !drop.includes(k));
    return one(`a delivery without ${drop.join(', ')}`, signed, { statuses: [401], codes: ['invalid_signature'] });
  },

  'webhook/wrong-secret'(m, random, index) {
    const secret = `whsec_${base64(Uint8Array.from({ length: 24 + int(random, 40) }, () => int(random, 256)))}`;
    return one('a delivery signed with another secret', m.signed(json(m.delivery(random).body), { id: m.deliveryId(index), secret }), { statuses: [401], codes: ['invalid_signature'] });
  },

  'webhook/timestamp'(m, random, index) {
    const now = m.now();
    const kind = int(random, 3);
    const body = json(m.delivery(random).body);
    if (kind < 2) {
      const skew = (301 + int(random, 10 ** (3 + int(random, 6)))) * 1000 * (kind === 0 ? -1 : 1);
      return one(`a delivery signed ${Math.round(skew / 1000)} s from now`, m.signed(body, { id: m.deliveryId(index), at: now + skew }), { statuses: [401], codes: ['invalid_signature'] });
    }
    const request = m.signed(body, { id: m.deliveryId(index) });
    const garbage = pick(random, ['', 'yesterday', 'NaN', '-1', '0', '1e3', `${Math.floor(now / 1000) - 400}`, `${Math.floor(now / 1000) + 400}`, headerValue(random), '99999999999999999999', '-0x10']);
    request.headers = request.headers.map(([k, v]) => [k, k === 'webhook-timestamp' ? garbage : v]);
    return one(`a delivery with webhook-timestamp ${JSON.stringify(garbage)}`, request, { statuses: [401], codes: ['invalid_signature'] });
  },

  'webhook/modified'(m, random, index) {
    const body = json(m.delivery(random).body);
    const request = m.signed(body, { id: m.deliveryId(index) });
    const { how, bytes } = mutateBytes(body, random);
    request.body = ab(bytes);
    return one(`a delivery whose body was changed after signing (${how})`, request, { statuses: [401, 413], codes: ['invalid_signature', 'payload_too_large'] });
  },

  'webhook/signature-garbage'(m, random, index) {
    const request = m.signed(json(m.delivery(random).body), { id: m.deliveryId(index) });
    const real = request.headers.find(([k]) => k === 'webhook-signature')![1];
    const b64 = () => base64(Uint8Array.from({ length: 32 }, () => int(random, 256)));
    const garbage = pick(random, [
      `v1,${b64()}`, `v2,${real.slice(3)}`, real.slice(3), real.slice(0, -2), `${real}x`, 'v1,', 'v1', ',', headerValue(random),
      Array.from({ length: 200 }, () => `v1,${b64()}`).join(' '), `v1,${real.slice(3).toLowerCase()}`, `V1,${real.slice(3)}`,
    ]);
    request.headers = request.headers.map(([k, v]) => [k, k === 'webhook-signature' ? garbage : v]);
    return one('a delivery with a forged or garbled signature', request, { statuses: [401], codes: ['invalid_signature'] });
  },

  'webhook/replay'(m, random, index) {
    const { body, examples } = m.delivery(random);
    const id = m.deliveryId(index);
    const at = m.now() - 60_000;
    const original = m.signed(json(body), { id, at });
    const seconds = String(Math.floor(at / 1000));
    // The same signed request again, and again with its timestamp spelled otherwise (the library
    // signs the parsed number, so these verify): each a retry, accepted as a duplicate. Another body
    // signed under the same id and timestamp: a conflict. Then the sender's redelivery, signed anew.
    const respelled = pick(random, [seconds, `0${seconds}`, `${seconds}.9`, `${seconds}abc`, ` ${seconds}`]);
    const retry = { ...original, headers: original.headers.map(([k, v]): [string, string] => [k, k === 'webhook-timestamp' ? respelled : v]) };
    const other = m.signed(json({ examples: [{ label: 1, pixels: m.pixels(random) }] }), { id, at });
    const redelivery = m.signed(json(body), { id, at: at + 1000 * (1 + int(random, 30)) });
    const duplicate = { statuses: [202], accepts: { delivery: id, examples, duplicate: true } } as const;
    return {
      detail: `a delivery, sent again with timestamp ${JSON.stringify(respelled)}, another body under its id and timestamp, then redelivered`,
      steps: [
        { request: original, expect: { statuses: [202], accepts: { delivery: id, examples } } },
        { request: retry, expect: duplicate },
        { request: original, expect: duplicate },
        { request: other, expect: { statuses: [409], codes: ['delivery_conflict'] } },
        { request: redelivery, expect: { statuses: [202], accepts: { delivery: id, examples } } },
      ],
    };
  },

  'webhook/body-invalid'(m, random, index) {
    const px = () => m.pixels(random);
    const ex = () => ({ label: int(random, 10), pixels: px() });
    const invalid = (detail: string, value: unknown, statuses: number[] = [422], codes: string[] = ['invalid_delivery']): BuiltCase =>
      one(`signed: ${detail}`, m.signed(json(value), { id: m.deliveryId(index) }), { statuses, codes });
    const kind = int(random, 16);
    switch (kind) {
      case 0:
        return invalid('a label out of range', { examples: [ex(), { label: pick(random, [-1, 10, 11, 255, 1e308, -0.5, 2 ** 53]), pixels: px() }] });
      case 1:
        return invalid('a label of the wrong type', { examples: [{ label: pick(random, [2.5, '3', null, true, [], {}, 'NaN', unicodeString(random)]), pixels: px() }] });
      case 2: {
        const n = pick(random, [0, 1, 783, 785, 1568]);
        return invalid(`${n} pixels`, { examples: [{ label: 1, pixels: Array.from({ length: n }, (_, i) => px()[i % PIXELS]) }] });
      }
      case 3: {
        const p: unknown[] = px();
        p[int(random, PIXELS)] = pick(random, [1.5, -0.1, 'x', null, '0.5', [], 'Infinity', 1e308]);
        return invalid('a pixel out of range or of the wrong type', { examples: [ex(), { label: 2, pixels: p }] });
      }
      case 4: {
        const text = `{"examples":[{"label":1,"pixels":[${px().map((v, i) => (i === 100 ? pick(random, ['NaN', 'Infinity', '-Infinity']) : String(v))).join(',')}]}]}`;
        return one('signed: NaN or Infinity as a bare token', m.signed(utf8(text), { id: m.deliveryId(index) }), { statuses: [400], codes: ['malformed_json'] });
      }
      case 5:
        return invalid('examples of the wrong type', { examples: pick(random, [null, {}, 'x', 3, [[]], [null], [1, 2]]) });
      case 6:
        return invalid('no examples', { examples: [] });
      case 7:
        return invalid(`${MAX_EXAMPLES_PER_DELIVERY + 1} examples`, { examples: Array.from({ length: MAX_EXAMPLES_PER_DELIVERY + 1 }, () => ({ label: 1, pixels: [0] })) });
      case 8:
        return invalid('an unknown key', { examples: [ex()], [pick(random, ['extra', 'Model', '__proto__', unicodeString(random)])]: jsonValue(random) });
      case 9:
        return invalid('an example with both pixels and an image, or neither', { examples: [pick(random, [{ label: 1 }, { label: 1, pixels: px(), image: base64(m.image(random).bytes) }, { pixels: px() }, {}])] });
      case 10: {
        const model = pick(random, ['letters', 'Digits', '../digits', '', 'digits/../x', unicodeString(random), 'a'.repeat(64), 'digits\u0000']);
        const ok = /^[a-z0-9][a-z0-9-]{0,62}$/.test(model);
        return invalid(`model ${JSON.stringify(model).slice(0, 30)}`, { model, examples: [ex()] }, [422], [ok ? 'unknown_model' : 'invalid_delivery']);
      }
      case 11:
        return invalid('a model of the wrong type', { model: pick(random, [1, null, ['digits'], { name: 'digits' }]), examples: [ex()] });
      case 12:
        return invalid('a top-level value that is not an object', pick(random, [null, [], 'examples', 0, [ex()]]));
      case 13:
        return invalid('a random object', jsonValue(random, 3));
      case 14:
        return invalid('keys and values of unicode', { examples: [{ label: unicodeString(random), [unicodeString(random)]: unicodeString(random) }] });
      default: {
        const text = `{"examples":[{"label":1,"pixels":${JSON.stringify(px())},"\\ud800":"\\u0000"}]}`;
        return one('signed: lone surrogates and NUL in a key', m.signed(utf8(text), { id: m.deliveryId(index) }), { statuses: [422], codes: ['invalid_delivery'] });
      }
    }
  },

  'webhook/images'(m, random, index) {
    const img = m.image(random);
    const kind = int(random, 10);
    const sign = (detail: string, image: string, expect: Expectation) =>
      one(`signed: ${detail}`, m.signed(json({ examples: [{ label: 3, pixels: m.pixels(random) }, { label: 4, image }] }), { id: m.deliveryId(index) }), expect);
    if (kind === 0) {
      const { how, bytes } = mutateBytes(img.bytes, random);
      return sign(`${img.label}, ${how}`, base64(bytes), { statuses: [202, 400, 413, 415, 422] });
    }
    if (kind === 1) {
      const [w, h] = bombSize(random, MAX_WEBHOOK_IMAGE_PIXELS);
      return sign(`a PNG claiming ${w} x ${h}`, base64(pngHeaderOnly(w, h)), { statuses: [413], codes: ['too_many_pixels'] });
    }
    if (kind === 2) return sign('a zlib bomb', base64(m.zlibBomb()), { statuses: [400], codes: ['corrupt_image'] });
    if (kind === 3) {
      const n = MAX_WEBHOOK_IMAGE_BYTES + 1 + int(random, 1 << 16);
      return sign(`${n} bytes of image`, 'A'.repeat(Math.ceil(n / 3) * 4), { statuses: [413], codes: ['image_too_large'] });
    }
    if (kind === 4) return sign('text that is not base64', pick(random, ['not base64!', '====', 'A', 'AAA', '%%%%', 'data:image/png;base64,@@@@']), { statuses: [422], codes: ['invalid_delivery'] });
    if (kind === 9) return sign('unicode text as an image', unicodeString(random), { statuses: [400, 415, 422] });
    if (kind === 5) return sign('base64 of what is not an image', base64(utf8(unicodeString(random, 40))), { statuses: [400, 415, 422] });
    if (kind === 6) return sign('a data: URL of another type', `data:image/gif;base64,${base64(img.bytes)}`, { statuses: [415] });
    if (kind === 7) return sign('a data: URL of the other format', `data:image/${img.format === 'png' ? 'jpeg' : 'png'};base64,${base64(img.bytes)}`, { statuses: [415], codes: ['content_type_mismatch'] });
    const spaced = base64(img.bytes).replace(/(.{76})/g, '$1\r\n');
    return sign(`${img.label}, base64 with line breaks`, spaced, { statuses: [202] });
  },

  'webhook/image-bomb'(m, random, index) {
    // Inside a signed delivery: a PNG whose ancillary chunk inflates to hundreds of MiB (skipped),
    // or the most pixels a delivery's image may have at 16 bits a sample. Both hold a "0".
    const side = Math.floor(Math.sqrt(MAX_WEBHOOK_IMAGE_PIXELS));
    const type = pick(random, ['iCCP', 'zTXt', 'iTXt', '16-bit'] as const);
    const mib = pick(random, [64, 128]); // 128 MiB of zeros deflate to about 130 KiB, within a delivery's image limit
    const bytes = type === '16-bit'
      ? m.kept(`16-bit RGBA ${side}`, () => ringPng(side, side, 6, 16))
      : m.kept(`${type} ${mib}`, () => ancillaryBomb(type, mib).bytes);
    const id = m.deliveryId(index);
    const detail = type === '16-bit' ? `a ${side} x ${side} 16-bit RGBA PNG` : `a PNG whose ${type} chunk inflates to ${mib} MiB`;
    return one(`signed: ${detail}, in a delivery`, m.signed(json({ examples: [{ label: 0, image: base64(bytes) }] }), { id }), { statuses: [202], accepts: { delivery: id, examples: 1 } });
  },

  'webhook/id'(m, random) {
    const id = pick(random, [
      utf8AsLatin1(`msg_${unicodeString(random)}`).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim(), headerValue(random), 'x'.repeat(MAX_DELIVERY_ID_CHARS + 1 + int(random, 500)),
      'fb_123', 'fb_', '../../etc/passwd', 'a/b', 'a b', 'msg%00', 'msg\u00e9', '.', 'msg;drop',
    ]);
    const request = m.signed(json(m.delivery(random).body), { id });
    const ok = DELIVERY_ID.test(id) && !id.startsWith(FEEDBACK_ID_PREFIX);
    return one(`webhook-id ${JSON.stringify(id).slice(0, 40)}`, request, ok ? { statuses: [202] } : { statuses: [400, 401], codes: ['invalid_webhook_id', 'invalid_signature'] });
  },

  'webhook/content-type'(m, random, index) {
    const type = pick(random, ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/ld+json', headerValue(random), '']);
    const request = m.signed(json(m.delivery(random).body), { id: m.deliveryId(index), contentType: type });
    if (!type) request.headers = request.headers.filter(([k]) => k !== 'content-type');
    return one(`signed, as ${JSON.stringify(type).slice(0, 40)}`, request, { statuses: [415], codes: ['unsupported_media_type'] });
  },

  'webhook/huge'(m, random, index) {
    if (random() < 0.5) {
      const total = MAX_WEBHOOK_BYTES + 1 + int(random, 1 << 20);
      return one(`a ${total}-byte delivery streamed without Content-Length`, post(WEBHOOK, 'application/json', { stream: true, total, chunk: 64 * 1024, fill: 0x20 }), { statuses: [413], codes: ['payload_too_large'] });
    }
    const pad = ' '.repeat(MAX_WEBHOOK_BYTES);
    const body = utf8(`{"examples":[{"label":1,"pixels":${JSON.stringify(m.pixels(random))}}]}${pad}`);
    return one(`a signed ${body.length}-byte delivery`, m.signed(body, { id: m.deliveryId(index) }), { statuses: [413], codes: ['payload_too_large'] });
  },

  'webhook/mutated'(m, random, index) {
    const { how, bytes } = mutateBytes(json(m.delivery(random).body), random);
    const request = m.signed(ab(bytes), { id: m.deliveryId(index) });
    return one(`a delivery mutated (${how}), then signed`, request, { statuses: [202, 400, 413, 415, 422] });
  },

  'webhook/binary-body'(m, random, index) {
    const bytes = Uint8Array.from({ length: int(random, 8192) }, () => int(random, 256));
    return one(`${bytes.length} random bytes, signed`, m.signed(bytes, { id: m.deliveryId(index) }), { statuses: [400, 422], codes: ['malformed_json', 'empty_body', 'invalid_delivery'] });
  },

  'webhook/method'(m, random) {
    const method = pick(random, ['GET', 'PUT', 'DELETE', 'PATCH']);
    return one(`${method} ${WEBHOOK}`, { method, path: WEBHOOK, headers: [], body: method === 'GET' ? undefined : utf8('{}') }, { statuses: [405], codes: ['method_not_allowed'] });
  },} satisfies Record<`webhook/${string}`, CaseBuilder>;
