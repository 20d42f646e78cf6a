/**
 * Cases for POST /v1/predict: valid images (PNG, JPEG, multipart) and JSON pixels, the costliest
 * images within the limits (16-bit PNGs of the most pixels, JPEGs at the decoding memory's edge),
 * and everything wrong with them: mutated and truncated images, pixel and zlib bombs, color
 * profiles and compressed text that inflate to a GiB, huge and streamed bodies,
 * wrong content types, malformed multipart, JSON of the wrong types, bare NaN and Infinity,
 * 783 and 785 pixels, unicode and binary in the body, the query, the headers, the method and path.
 */
import {
  MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_JSON_BYTES, MAX_MULTIPART_OVERHEAD_BYTES, PIXELS,
} from '../../../functions/limits.ts';
import { MAX_JPEG_SCANS } from '../../../src/image/limits.ts';
import { ancillaryBomb, JPEG_LAYOUTS, largestJpegSide, ringJpeg, ringPng } from '../worst-images.ts';
import { ab, ANY_ANSWER, json, OK, one, post, PREDICT, utf8, WEBHOOK, type BuiltCase, type Expectation } from './case.ts';
import { bombSize, imagePart, jpegHeaderOnly, multipart, percentEncode, pngHeaderOnly, type FuzzMaterials } from './materials.ts';
import { headerValue, int, jsonValue, mutateBytes, pick, unicodeString, utf8AsLatin1, type Random } from './mutate.ts';

export type CaseBuilder = (m: FuzzMaterials, random: Random, index: number) => BuiltCase;

export const PREDICT_CASES = {
  'predict/png'(m, random) {
    const img = m.image(random, 'png');
    const type = pick(random, ['image/png', 'image/apng', 'application/octet-stream', 'IMAGE/PNG', 'image/png; charset=binary', 'image/png;q=1']);
    return one(`${img.label} as ${type}`, post(PREDICT, type, img.bytes), { statuses: OK });
  },

  'predict/jpeg'(m, random) {
    const img = m.image(random, 'jpeg');
    const type = pick(random, ['image/jpeg', 'image/jpg', 'image/pjpeg', 'application/octet-stream', 'Image/JPEG']);
    return one(`${img.label} as ${type}`, post(PREDICT, type, img.bytes), { statuses: OK });
  },

  'predict/json'(m, random) {
    const pixels = m.pixels(random);
    const style = int(random, 6);
    let text: string;
    if (style === 0) text = JSON.stringify({ pixels });
    else if (style === 1) text = JSON.stringify({ pixels }, null, pick(random, [1, 2, '\t']));
    else if (style === 2) text = `{"pixels":[${pixels.map((v) => (v === 0 ? pick(random, ['0', '-0', '0.0', '0e5', '0E-3']) : v.toExponential(int(random, 8)))).join(',')}]}`;
    else if (style === 3) text = `\ufeff${JSON.stringify({ pixels })}`; // a BOM is dropped before parsing
    else if (style === 4) text = `{"pixels":"x","pixels":${JSON.stringify(pixels)}}`; // the last duplicate key wins
    else text = ` \n\t{ "pixels" : [ ${pixels.map((v) => (v === 1 ? '1.0' : v === 0 ? '5e-324' : String(v))).join(' , ')} ] } \n`;
    const type = pick(random, ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']);
    return one(`JSON pixels, style ${style}, ${type}`, post(PREDICT, type, utf8(text)), { statuses: OK });
  },

  'predict/multipart'(m, random) {
    const img = m.image(random);
    const boundary = pick(random, ['x', '----WebKitFormBoundary7MA4YWxkTrZu0gW', `b${int(random, 1e9)}`, "'()+_,-./:=? x", '-'.repeat(60)]);
    // Filenames as browsers write them (UTF-8, quotes as %22). An empty one makes workerd's parser
    // take the part for text: 422 invalid_image_field, as for a text field.
    const filename = pick(random, ['d.png', 'ünïcödé.png', '%22quoted%22.png', 'x', '']);
    const parts = [imagePart(img.bytes, `image/${img.format}`, 'image', filename)];
    if (random() < 0.5) parts.unshift({ headers: ['Content-Disposition: form-data; name="note"'], body: utf8(unicodeString(random)) });
    if (random() < 0.3) parts.push({ headers: ['Content-Disposition: form-data; name="other"; filename="x.bin"', 'Content-Type: application/octet-stream'], body: new Uint8Array(int(random, 64)) });
    const type = `multipart/form-data; boundary=${boundary.includes(' ') || boundary.includes(',') || boundary.includes('?') ? `"${boundary}"` : boundary}`;
    const expect: Expectation = filename ? { statuses: OK } : { statuses: [422], codes: ['invalid_image_field'] };
    return one(`multipart with ${img.label}, ${parts.length} parts, filename ${JSON.stringify(filename)}`, post(PREDICT, type, multipart(boundary, parts)), expect);
  },

  'predict/image-mutated'(m, random) {
    const img = m.image(random);
    const { how, bytes } = mutateBytes(img.bytes, random);
    const type = pick(random, [`image/${img.format}`, 'application/octet-stream']);
    return one(`${img.label}, ${how}, as ${type}`, post(PREDICT, type, ab(bytes)), { statuses: ANY_ANSWER });
  },

  'predict/png-bomb'(m, random) {
    const [w, h] = bombSize(random, MAX_IMAGE_PIXELS, 2 ** 31 - 1);
    const bytes = pngHeaderOnly(w, h, pick(random, [0, 2, 4, 6]));
    return one(`a ${bytes.length}-byte PNG claiming ${w} x ${h}`, post(PREDICT, pick(random, ['image/png', 'application/octet-stream']), bytes), { statuses: [413], codes: ['too_many_pixels'] });
  },

  'predict/jpeg-bomb'(m, random) {
    const [w, h] = bombSize(random, MAX_IMAGE_PIXELS);
    const bytes = jpegHeaderOnly(w, h);
    return one(`a ${bytes.length}-byte JPEG claiming ${w} x ${h}`, post(PREDICT, pick(random, ['image/jpeg', 'application/octet-stream']), bytes), { statuses: [413], codes: ['too_many_pixels'] });
  },

  'predict/zlib-bomb'(m, random) {
    const bytes = ab(m.zlibBomb());
    return one(`a ${bytes.length}-byte 64 x 64 PNG inflating to 64 MiB`, post(PREDICT, pick(random, ['image/png', 'application/octet-stream']), bytes), { statuses: [400], codes: ['corrupt_image'] });
  },

  'predict/iccp-bomb'(m, random) {
    const mib = pick(random, [64, 256, 1024]);
    const bytes = m.kept(`iCCP ${mib}`, () => ancillaryBomb('iCCP', mib).bytes);
    return one(`a ${bytes.length}-byte 64 x 64 PNG whose color profile (iCCP) inflates to ${mib} MiB: skipped, the digit read`, post(PREDICT, 'image/png', bytes), { statuses: OK });
  },

  'predict/ztxt-bomb'(m, random) {
    const type = pick(random, ['zTXt', 'iTXt'] as const);
    const mib = pick(random, [64, 256, 1024]);
    const bytes = m.kept(`${type} ${mib}`, () => ancillaryBomb(type, mib).bytes);
    return one(`a ${bytes.length}-byte 64 x 64 PNG whose compressed text (${type}) inflates to ${mib} MiB: skipped, the digit read`, post(PREDICT, 'image/png', bytes), { statuses: OK });
  },

  'predict/16bit-max'(m, random) {
    // The most pixels the Worker takes, 8 bytes each: a square, or a strip as wide as allowed.
    const side = Math.floor(Math.sqrt(MAX_IMAGE_PIXELS));
    const [name, width, height, colorType, interlaced] = pick(random, [
      ['gray', side, side, 0, false], ['gray+alpha', side, side, 4, false], ['RGB', side, side, 2, false], ['RGBA', side, side, 6, false],
      ['RGBA', side, side, 6, true], ['RGBA', 8192, Math.floor(MAX_IMAGE_PIXELS / 8192), 6, false],
    ] as const);
    const bytes = m.kept(`16-bit ${name} ${width} ${height} ${interlaced}`, () => ringPng(width, height, colorType, 16, { interlaced }));
    return one(`a ${width} x ${height} 16-bit ${name} PNG${interlaced ? ', interlaced' : ''}`, post(PREDICT, 'image/png', bytes), { statuses: OK });
  },

  'predict/jpeg-memory'(m, random) {
    const layout = pick(random, Object.keys(JPEG_LAYOUTS) as Array<keyof typeof JPEG_LAYOUTS>);
    const fits = largestJpegSide(layout);
    const kind = int(random, 3);
    const side = kind === 2 ? fits + 32 : fits;
    const scans = kind === 1 ? MAX_JPEG_SCANS : 0;
    const bytes = m.kept(`JPEG ${layout} ${side} ${scans}`, () => ringJpeg(side, side, layout, scans));
    const detail = `a ${side} x ${side} ${layout} JPEG${scans ? `, progressive in ${MAX_JPEG_SCANS} scans or fewer` : ''}: ${kind === 2 ? 'just over' : 'within'} the decoding memory`;
    return one(detail, post(PREDICT, 'image/jpeg', bytes), kind === 2 ? { statuses: [413], codes: ['too_many_pixels'] } : { statuses: OK });
  },

  'predict/jpeg-scans'(m, random) {
    const scans = 101 + int(random, 2000);
    return one(`a JPEG with ${scans} scans`, post(PREDICT, 'image/jpeg', jpegHeaderOnly(64, 64, scans)), { statuses: [415] });
  },

  'predict/huge'(m, random) {
    const kind = int(random, 5);
    const tooLarge = { statuses: [413], codes: ['payload_too_large'] } as const;
    if (kind === 0) {
      const bytes = new Uint8Array(MAX_IMAGE_BYTES + 1 + int(random, 1 << 20));
      bytes.set(m.image(random, 'png').bytes);
      return one(`a ${bytes.length}-byte PNG body (Content-Length)`, post(PREDICT, 'image/png', bytes), tooLarge);
    }
    if (kind === 1) {
      const text = JSON.stringify({ pixels: m.pixels(random), pad: ' '.repeat(MAX_JSON_BYTES) });
      return one(`a ${text.length}-byte JSON body`, post(PREDICT, 'application/json', utf8(text)), tooLarge);
    }
    if (kind === 2) {
      const total = MAX_IMAGE_BYTES + (1 << 20) + int(random, 1 << 20);
      return one(`a ${total}-byte JPEG body streamed without Content-Length`, post(PREDICT, 'image/jpeg', { stream: true, total, chunk: 64 * 1024, fill: 0xff }), tooLarge);
    }
    if (kind === 3) {
      const total = MAX_JSON_BYTES * (2 + int(random, 30));
      return one(`a ${total}-byte JSON body streamed without Content-Length`, post(PREDICT, 'application/json', { stream: true, total, chunk: 16 * 1024, fill: 0x20 }), tooLarge);
    }
    const big = new Uint8Array(MAX_IMAGE_BYTES + MAX_MULTIPART_OVERHEAD_BYTES + 1);
    const body = multipart('zz', [imagePart(big, 'image/png')]);
    return one(`a ${body.length}-byte multipart body`, post(PREDICT, 'multipart/form-data; boundary=zz', body), tooLarge);
  },

  'predict/content-type'(m, random) {
    const img = m.image(random);
    const pixels = json({ pixels: m.pixels(random) });
    const cases: Array<[string, string | null, Uint8Array<ArrayBuffer>, Expectation]> = [
      ['an image as text/plain', 'text/plain', img.bytes, { statuses: [415], codes: ['unsupported_media_type'] }],
      ['an image as image/gif', 'image/gif', img.bytes, { statuses: [415], codes: ['unsupported_media_type'] }],
      ['an image as image/webp', 'image/webp', img.bytes, { statuses: [415], codes: ['unsupported_media_type'] }],
      ['an image with no Content-Type', null, img.bytes, { statuses: [415], codes: ['unsupported_media_type'] }],
      ['an image as application/json', 'application/json', img.bytes, { statuses: [400], codes: ['malformed_json'] }],
      ['JSON as image/png', 'image/png', pixels, { statuses: [415] }],
      ['JSON as text/plain', 'text/plain', pixels, { statuses: [415], codes: ['unsupported_media_type'] }],
      ['JSON as application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', pixels, { statuses: [415], codes: ['unsupported_media_type'] }],
      [`a ${img.format} as the other format`, img.format === 'png' ? 'image/jpeg' : 'image/png', img.bytes, { statuses: [415], codes: ['content_type_mismatch'] }],
      ['an image as multipart without a boundary', 'multipart/form-data', img.bytes, { statuses: [400], codes: ['malformed_multipart'] }],
      ['an image under a garbage Content-Type', headerValue(random), img.bytes, { statuses: [415, 400] }],
      ['JSON under a garbage Content-Type', `${headerValue(random, 6)}/${headerValue(random, 6)}`, pixels, { statuses: [415, 400] }],
      ['JSON as application/json with garbage parameters', `application/json; ${headerValue(random)}`, pixels, { statuses: OK }],
      ['an image as image/png with garbage parameters', `image/${img.format}; ${headerValue(random)}`, img.bytes, { statuses: OK }],
    ];
    const [detail, type, body, expect] = pick(random, cases);
    return one(detail, post(PREDICT, type, body), expect);
  },

  'predict/multipart-malformed'(m, random) {
    const img = m.image(random);
    const b = `b${int(random, 1e6)}`;
    const good = [imagePart(img.bytes, `image/${img.format}`)];
    const variants: Array<[string, string, Uint8Array<ArrayBuffer>, Expectation]> = [
      ['a boundary that is not the declared one', `multipart/form-data; boundary=${b}`, multipart(`${b}x`, good), { statuses: [400, 422] }],
      ['no closing boundary', `multipart/form-data; boundary=${b}`, multipart(b, good, { close: false }), { statuses: [200, 400, 422] }],
      ['LF line ends', `multipart/form-data; boundary=${b}`, multipart(b, good, { eol: '\n' }), { statuses: [200, 400, 422] }],
      ['the image field as text', `multipart/form-data; boundary=${b}`, multipart(b, [{ headers: ['Content-Disposition: form-data; name="image"'], body: utf8(unicodeString(random)) }]), { statuses: [400, 422] }],
      ['no image field', `multipart/form-data; boundary=${b}`, multipart(b, [imagePart(img.bytes, 'image/png', 'picture')]), { statuses: [422], codes: ['missing_image'] }],
      ['an empty image file', `multipart/form-data; boundary=${b}`, multipart(b, [imagePart(new Uint8Array(0), 'image/png')]), { statuses: [400, 422] }],
      ['an image part of type text/plain', `multipart/form-data; boundary=${b}`, multipart(b, [imagePart(img.bytes, 'text/plain')]), { statuses: [415] }],
      ['an image part with a garbage type', `multipart/form-data; boundary=${b}`, multipart(b, [imagePart(img.bytes, headerValue(random))]), { statuses: [200, 400, 415, 422] }],
      ['a part with no headers', `multipart/form-data; boundary=${b}`, multipart(b, [{ headers: [], body: img.bytes }]), { statuses: [400, 422] }],
      ['a part without a name', `multipart/form-data; boundary=${b}`, multipart(b, [{ headers: ['Content-Disposition: form-data; filename="x.png"', 'Content-Type: image/png'], body: img.bytes }]), { statuses: [400, 422] }],
      ['a part with a 20 KiB header line', `multipart/form-data; boundary=${b}`, multipart(b, [{ headers: [`Content-Disposition: form-data; name="image"; filename="${'a'.repeat(20_000)}.png"`, `Content-Type: image/${img.format}`], body: img.bytes }]), { statuses: [200, 400, 413, 422] }],
      ['binary where the part headers go', `multipart/form-data; boundary=${b}`, multipart(b, [{ headers: [String.fromCharCode(...Array.from({ length: 40 }, () => int(random, 256)))], body: img.bytes }]), { statuses: [400, 422] }],
      ['a mutated envelope', `multipart/form-data; boundary=${b}`, ab(mutateBytes(multipart(b, good), random).bytes), { statuses: ANY_ANSWER }],
      ['an empty body', `multipart/form-data; boundary=${b}`, new Uint8Array(0), { statuses: [400, 422] }],
      ['a unicode boundary', `multipart/form-data; boundary=${utf8AsLatin1('grenzé')}`, multipart('grenzé', good), { statuses: [200, 400, 422] }],
      ['10,000 empty parts', `multipart/form-data; boundary=${b}`, multipart(b, Array.from({ length: 10_000 }, () => ({ headers: ['Content-Disposition: form-data; name="x"'], body: new Uint8Array(0) }))), { statuses: [400, 413, 422] }],
      ['two image fields, the first good', `multipart/form-data; boundary=${b}`, multipart(b, [...good, imagePart(new Uint8Array([1, 2, 3]), 'image/png')]), { statuses: OK }],
    ];
    const [detail, type, body, expect] = pick(random, variants);
    return one(`multipart: ${detail}`, post(PREDICT, type, body), expect);
  },

  'predict/json-types'(m, random) {
    const pixels = m.pixels(random);
    const variants: Array<[string, () => unknown]> = [
      ['a top-level value that is not an object', () => pick(random, [null, 0, 'pixels', true, [], [pixels], jsonValue(random, 0)])],
      ['pixels of another type', () => ({ pixels: pick(random, [null, 'abc', 42, true, {}, { 0: 0.5 }, jsonValue(random, 0)]) })],
      ['some pixels of the wrong type', () => {
        const p: unknown[] = [...pixels];
        for (let k = 1 + int(random, 5); k > 0; k--) p[int(random, PIXELS)] = pick(random, [null, '0.5', 'NaN', 'Infinity', true, [], {}, unicodeString(random)]);
        return { pixels: p };
      }],
      ['pixels out of range', () => {
        const p = [...pixels];
        for (let k = 1 + int(random, 5); k > 0; k--) p[int(random, PIXELS)] = pick(random, [-1e-9, -0.001, 1.0000001, 1.5, 255, -1, 1e308, -1e308, 2 ** 53]);
        return { pixels: p };
      }],
      ['the wrong number of pixels', () => ({ pixels: Array.from({ length: pick(random, [0, 1, 27, 28, 783, 785, 1568, 784 * 3, int(random, 5000)].filter((n) => n !== PIXELS)) }, (_, i) => pixels[i % PIXELS]) })],
      ['pixels nested', () => ({ pixels: pick(random, [[pixels], pixels.map((v) => [v]), Array.from({ length: 28 }, (_, r) => pixels.slice(r * 28, r * 28 + 28))]) })],
      ['an unknown key beside the pixels', () => ({ pixels, [pick(random, ['pixel', 'label', 'Pixels', '__proto__', 'constructor', unicodeString(random)])]: jsonValue(random) })],
      ['the key misspelled', () => ({ [pick(random, ['Pixels', 'pixel', 'PIXELS', ' pixels', 'pixels ', 'pіxels'])]: pixels })],
      ['an empty object', () => ({})],
      ['a random object', () => jsonValue(random, 3)],
    ];
    const [detail, make] = pick(random, variants);
    let value = make();
    if (detail === 'a random object' && typeof value === 'object' && value !== null && 'pixels' in value) value = { ...value, extra: 1 };
    return one(`JSON: ${detail}`, post(PREDICT, 'application/json', json(value)), { statuses: [422], codes: ['invalid_pixels'] });
  },

  'predict/json-tokens'(m, random) {
    const pixels = m.pixels(random).map(String);
    const token = pick(random, ['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '.5', '1.', '+1', '01', "'0.5'", '1e', '--1', '∞']);
    const huge = random() < 0.3;
    pixels[int(random, PIXELS)] = huge ? '1e999' : token;
    return one(
      huge ? 'JSON: 1e999 (overflows to Infinity)' : `JSON with the bare token ${token}`,
      post(PREDICT, 'application/json', utf8(`{"pixels":[${pixels.join(',')}]}`)),
      huge ? { statuses: [422], codes: ['invalid_pixels'] } : { statuses: [400], codes: ['malformed_json'] },
    );
  },

  'predict/json-mutated'(m, random) {
    const { how, bytes } = mutateBytes(json({ pixels: m.pixels(random) }), random);
    return one(`JSON pixels, ${how}`, post(PREDICT, 'application/json', ab(bytes)), { statuses: [200, 400, 413, 422] });
  },

  'predict/json-unicode'(m, random) {
    const pixels = m.pixels(random);
    const kind = int(random, 5);
    if (kind === 0) {
      // Raw bytes that are not UTF-8, inside an otherwise valid body.
      const text = JSON.stringify({ pixels, note: 'XX' });
      const bytes = utf8(text);
      const at = text.indexOf('XX');
      bytes[at] = pick(random, [0x80, 0xc0, 0xff, 0xfe, 0xed]);
      bytes[at + 1] = pick(random, [0xa0, 0x80, 0x00, 0xff]);
      return one('JSON with bytes that are not UTF-8', post(PREDICT, 'application/json', bytes), { statuses: [400], codes: ['malformed_json'] });
    }
    if (kind === 1) return one('JSON with a unicode key', post(PREDICT, 'application/json', json({ pixels, [unicodeString(random)]: unicodeString(random) })), { statuses: [422] });
    if (kind === 2) {
      const text = `{"pixels":${JSON.stringify(pixels)},"\\ud800":"\\udfff\\u0000"}`; // lone surrogates, escaped
      return one('JSON with lone surrogates and NUL, escaped', post(PREDICT, 'application/json', utf8(text)), { statuses: [422] });
    }
    if (kind === 3) return one('JSON pixels as unicode digits', post(PREDICT, 'application/json', json({ pixels: pixels.map(() => pick(random, ['٣', '७', '𝟕', '７', '½'])) })), { statuses: [422] });
    const bytes = Uint8Array.from({ length: 1 + int(random, 4096) }, () => int(random, 256));
    return one(`${bytes.length} random bytes as JSON`, post(PREDICT, 'application/json', bytes), { statuses: [400, 422] });
  },

  'predict/query'(m, random) {
    const pixels = json({ pixels: m.pixels(random) });
    const choices: Array<[string, Expectation]> = [
      ['include=input', { statuses: OK }],
      ['include=INPUT', { statuses: [400], codes: ['invalid_query'] }],
      ['include=input,input&include=', { statuses: OK }],
      [`include=${percentEncode(unicodeString(random))}x`, { statuses: [400], codes: ['invalid_query'] }],
      [`include=%ff%fe%00x`, { statuses: [400], codes: ['invalid_query'] }],
      [`q${percentEncode(unicodeString(random))}=${percentEncode(unicodeString(random))}`, { statuses: OK }],
      [`include=${'x'.repeat(4000)}`, { statuses: [400], codes: ['invalid_query'] }],
      ['include=%', { statuses: [200, 400] }],
    ];
    const [query, expect] = pick(random, choices);
    return one(`query ?${query.slice(0, 40)}`, post(`${PREDICT}?${query}`, 'application/json', pixels), expect);
  },

  'predict/method-path'(m, random) {
    const kind = int(random, 4);
    if (kind === 0) {
      const method = pick(random, ['GET', 'PUT', 'DELETE', 'PATCH']);
      return one(`${method} ${PREDICT}`, { method, path: PREDICT, headers: [], body: method === 'GET' ? undefined : json({ pixels: [] }) }, { statuses: [405], codes: ['method_not_allowed'] });
    }
    if (kind === 1) {
      const path = pick(random, ['/v1/predict/', '/v1/Predict', '/v1/predict/x', '/v1//predict', '/v1/predict%00', '/%2e%2e/v1/predict', `/v1/${percentEncode(unicodeString(random))}`]);
      return one(`POST ${path}`, post(path, 'application/json', json({ pixels: m.pixels(random) })), { statuses: [200, 404, 405] });
    }
    if (kind === 2) {
      const headers: Array<[string, string]> = [['origin', pick(random, ['https://example.com', 'null', headerValue(random)])], ['access-control-request-method', 'POST'], ['access-control-request-headers', pick(random, ['content-type', 'authorization', 'x-anything', headerValue(random)])]];
      return one('a CORS preflight', { method: 'OPTIONS', path: pick(random, [PREDICT, WEBHOOK]), headers }, { statuses: [204] });
    }
    return one('HEAD of the predict route', { method: 'HEAD', path: PREDICT, headers: [] }, { statuses: [404, 405] });
  },

  'predict/headers'(m, random) {
    const img = m.image(random);
    const extra: Array<[string, string]> = [];
    for (let k = 1 + int(random, 6); k > 0; k--) {
      extra.push([pick(random, ['x-fuzz', 'accept', 'user-agent', 'origin', 'referer', 'cookie', 'authorization', 'x-forwarded-for', 'cf-connecting-ip', 'accept-encoding', 'content-language']), headerValue(random)]);
    }
    return one(`${img.label} with ${extra.length} headers of random bytes`, post(PREDICT, `image/${img.format}`, img.bytes, extra), { statuses: OK });
  },
} satisfies Record<`predict/${string}`, CaseBuilder>;
