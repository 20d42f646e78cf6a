import { encode as encodePng } from 'fast-png';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { MAX_IMAGE_BYTES, MAX_JSON_BYTES, MAX_WEBHOOK_BYTES } from '../../../functions/limits.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { readDelivery } from '../../../functions/queue/examples.ts';
import { jpegGray } from '../../../scripts/lib/digit-synth.ts';
import { base64, jpegHeaderOnly, pngHeaderOnly } from '../../../scripts/lib/fuzz/materials.ts';

// Limits are enforced before the work they bound: an image's pixel count from its header before
// the decoder is called (so before its pixels are allocated), a body's size from Content-Length
// before a byte of it is read. The decoders are wrapped to count their calls: jpeg-js's decoder, and
// for PNG the inflater src/image's decoder starts with (pako's Inflate, from its inflate-only module).

const decoded = vi.hoisted(() => ({ png: 0, jpeg: 0 }));
vi.mock('pako/lib/inflate.js', async (original) => {
  const m = await original<typeof import('pako/lib/inflate.js')>();
  class Inflate extends m.Inflate {
    constructor(...args: ConstructorParameters<typeof m.Inflate>) {
      super(...args);
      decoded.png++;
    }
  }
  return { ...m, Inflate };
});
vi.mock('jpeg-js/lib/decoder.js', async (original) => {
  const m = await original<{ default: typeof import('jpeg-js').decode }>();
  return { default: (...args: Parameters<typeof m.default>) => (decoded.jpeg++, m.default(...args)) };
});

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });
const env = { INFERENCE_ENGINE: 'core' };
const predict = (body: BodyInit, type: string, headers: Record<string, string> = {}) =>
  app.request('/v1/predict', { method: 'POST', headers: { 'content-type': type, ...headers }, body, duplex: 'half' } as RequestInit, env);

/** A 40 x 40 digit: a thick bar on white. */
function digitGray(): Uint8Array {
  const g = new Uint8Array(40 * 40).fill(255);
  for (let y = 8; y < 32; y++) for (let x = 17; x < 23; x++) g[y * 40 + x] = 0;
  return g;
}

/** A body stream that counts the bytes pulled from it. */
function counted(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  return {
    pulled: () => pulled,
    // highWaterMark 0: nothing is pulled until someone reads.
    stream: new ReadableStream(
      {
        pull(c) {
          if (pulled >= total) return c.close();
          pulled += 65536;
          c.enqueue(new Uint8Array(65536));
        },
      },
      { highWaterMark: 0 },
    ),
  };
}

beforeEach(() => {
  decoded.png = 0;
  decoded.jpeg = 0;
});

describe('pixel limits before decoding', () => {
  it('the decoders are really watched: a valid PNG and JPEG are decoded once each', async () => {
    expect((await predict(new Uint8Array(encodePng({ width: 40, height: 40, data: digitGray(), channels: 1 })), 'image/png')).status).toBe(200);
    expect((await predict(new Uint8Array(jpegGray(40, 40, digitGray())), 'image/jpeg')).status).toBe(200);
    expect(decoded).toEqual({ png: 1, jpeg: 1 });
  });

  it.each([
    ['a PNG claiming 100,000 x 100,000', () => pngHeaderOnly(100_000, 100_000), 'image/png'],
    ['a PNG claiming 2,049 x 2,049 (over the Worker\'s 4 megapixels, under src/image\'s own limit)', () => pngHeaderOnly(2049, 2049), 'image/png'],
    ['a JPEG claiming 65,535 x 65,535', () => jpegHeaderOnly(65535, 65535), 'image/jpeg'],
  ])('%s: 413 from the header, the decoder never called, no memory to speak of', async (_name, make, type) => {
    const bomb = make();
    expect(bomb.length).toBeLessThan(100);
    const before = process.memoryUsage().arrayBuffers;
    for (let k = 0; k < 200; k++) {
      const res = await predict(bomb, type);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_pixels');
    }
    expect(decoded).toEqual({ png: 0, jpeg: 0 });
    // One decode of the first bomb would need 10 GB; 200 refusals stay within a few MiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('a webhook image over 0.25 megapixels is refused from its header, its decoder never called', () => {
    const delivery = { examples: [{ label: 3, image: base64(pngHeaderOnly(1000, 1000)) }, { label: 4, image: base64(jpegHeaderOnly(600, 600)) }] };
    expect(() => readDelivery(delivery)).toThrow(expect.objectContaining({ status: 413, code: 'too_many_pixels' }));
    expect(() => readDelivery({ examples: [delivery.examples[1]] })).toThrow(expect.objectContaining({ status: 413 }));
    expect(decoded).toEqual({ png: 0, jpeg: 0 });
  });
});

describe('body size limits before reading', () => {
  it.each([
    ['/v1/predict', 'application/json', MAX_JSON_BYTES],
    ['/v1/predict', 'image/png', MAX_IMAGE_BYTES],
    ['/v1/webhooks/training', 'application/json', MAX_WEBHOOK_BYTES],
  ])('%s as %s: a Content-Length over %d bytes is 413 before a byte is read', async (path, type, limit) => {
    const body = counted(limit * 4);
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': type, 'content-length': String(limit + 1) }, body: body.stream, duplex: 'half' } as RequestInit, env);
    expect(res.status).toBe(413);
    expect(body.pulled()).toBe(0);
    expect(decoded).toEqual({ png: 0, jpeg: 0 });
  });
});
