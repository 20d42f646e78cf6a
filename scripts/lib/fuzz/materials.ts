/**
 * What the fuzz case builders make requests from: a pool of digit images drawn once per seed
 * (PNG of several kinds, JPEG), 784-pixel digits, a zlib bomb, valid deliveries, and Standard
 * Webhooks signing; and the byte-level builders of images no encoder would write. Web-standard
 * APIs only: it runs in workerd and in Node.
 */
import { encode as encodePng } from 'fast-png';
import { zlibSync } from 'fflate';
import { Webhook } from 'standardwebhooks';
import { handwrite, randomHand } from '../digit-strokes.ts';
import { canvasRgba, drawStrokes, inkToGray, jpegGray, jpegRgba, pngGray, pngRgba, rng, type Plane } from '../digit-synth.ts';
import { chunk, concat, ihdr, SIGNATURE, zlibOfZeros } from '../png-chunks.ts';
import { WEBHOOK, json, type FuzzRequest } from './case.ts';
import { int, pick, type Random } from './mutate.ts';

/** A source image of the pool. */
export interface PoolImage {
  label: string;
  /** The digit drawn. */
  digit: number;
  bytes: Uint8Array<ArrayBuffer>;
  format: 'png' | 'jpeg';
}

/**
 * @example
 * const m = new FuzzMaterials({ seed: 1, secret: 'whsec_...' });
 * const request = m.signed(json({ examples: [...] }), { id: 'msg_1' });
 */
export class FuzzMaterials {
  readonly now: () => number;
  private readonly secret: string;
  private readonly prefix: string;
  private readonly inks: Array<{ digit: number; ink: Plane }> = [];
  private readonly images: PoolImage[] = [];
  private readonly built = new Map<string, Uint8Array<ArrayBuffer>>();

  constructor(opts: { seed: number; secret: string; now?: () => number; deliveryPrefix?: string }) {
    this.secret = opts.secret;
    this.now = opts.now ?? Date.now;
    this.prefix = opts.deliveryPrefix ?? `fz${opts.seed.toString(36)}`;
    this.drawPool(rng(opts.seed ^ 0x9001));
  }

  /** Digits written by random hands at a few sizes, as PNG (gray, canvas RGBA, 16-bit) and JPEG (gray, colour light on dark). */
  private drawPool(random: Random): void {
    for (let k = 0; k < 16; k++) {
      const side = pick(random, [28, 28, 40, 64, 96, 160]);
      const strokes = handwrite(k % 10, randomHand(random), random);
      const box = { x: side * 0.25, y: side * 0.12, width: side * 0.5, height: side * 0.76 };
      const ink = drawStrokes(strokes, { width: side, height: side }, box, Math.max(2, side / 9));
      const digit = k % 10;
      this.inks.push({ digit, ink });
      const of = `${side}px`;
      const variant = k % 4;
      if (variant === 0) this.images.push({ label: `${of} gray PNG of a ${k % 10}`, bytes: new Uint8Array(pngGray(side, side, inkToGray(ink))), format: 'png', digit });
      if (variant === 1) this.images.push({ label: `${of} canvas RGBA PNG of a ${k % 10}`, bytes: new Uint8Array(pngRgba(side, side, canvasRgba(ink))), format: 'png', digit });
      if (variant === 2) this.images.push({ label: `${of} JPEG of a ${k % 10}`, bytes: new Uint8Array(jpegGray(side, side, inkToGray(ink), 60 + int(random, 40))), format: 'jpeg', digit });
      if (variant === 3) {
        const rgba = new Uint8Array(side * side * 4);
        const gray = inkToGray(ink, 0.1, 0.95); // light ink on a dark ground
        for (let i = 0; i < gray.length; i++) rgba.set([gray[i], gray[i] >> 1, 255 - gray[i], 255], 4 * i);
        this.images.push({ label: `${of} colour JPEG of a ${k % 10}, light on dark`, bytes: new Uint8Array(jpegRgba(side, side, rgba, 90)), format: 'jpeg', digit });
        const sixteen = Uint16Array.from(inkToGray(ink), (v) => v * 257);
        this.images.push({ label: `${of} 16-bit gray PNG of a ${k % 10}`, bytes: new Uint8Array(encodePng({ width: side, height: side, data: sixteen, channels: 1, depth: 16 })), format: 'png', digit });
      }
    }
  }

  /** A pool image (of one format, if given). */
  image(random: Random, format?: 'png' | 'jpeg'): PoolImage {
    return pick(random, format ? this.images.filter((i) => i.format === format) : this.images);
  }

  /** 784 pixels in [0, 1] from a pool digit (nearest-neighbour down to 28 x 28). */
  pixels(random: Random): number[] {
    return this.digit(random).pixels;
  }

  /** A pool digit: which it is, and its 784 pixels. */
  digit(random: Random): { label: number; pixels: number[] } {
    const { digit, ink } = pick(random, this.inks);
    const out: number[] = [];
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) out.push(ink.data[Math.floor((y * ink.height) / 28) * ink.width + Math.floor((x * ink.width) / 28)]);
    }
    return { label: digit, pixels: out };
  }

  /** A 64 x 64 gray PNG whose IDAT inflates to 64 MiB (a zlib bomb of about 64 KiB). */
  zlibBomb(): Uint8Array<ArrayBuffer> {
    return this.kept('zlib bomb', () => concat(SIGNATURE, ihdr(64, 64), chunk('IDAT', zlibOfZeros(64)), chunk('IEND', new Uint8Array(0))));
  }

  /** An image costly to build (the largest allowed, a bomb), built once per `key` and kept. */
  kept(key: string, build: () => Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    let bytes = this.built.get(key);
    if (!bytes) this.built.set(key, (bytes = build()));
    return bytes;
  }

  /** A valid delivery body, correctly labelled (as a labelling tool sends it): 1 to 5 examples as pixels, base64 images or data: URLs. */
  delivery(random: Random): { body: Record<string, unknown>; examples: number } {
    const n = 1 + int(random, 5);
    const examples = Array.from({ length: n }, () => {
      const kind = random();
      if (kind < 0.55) {
        const { label, pixels } = this.digit(random);
        return { label, pixels: pixels.map((v) => (random() < 0.5 ? v : Number(v.toFixed(int(random, 6))))) };
      }
      const img = this.image(random);
      const b64 = base64(img.bytes);
      return { label: img.digit, image: kind < 0.8 ? b64 : `data:image/${img.format};base64,${b64}` };
    });
    return { body: random() < 0.5 ? { examples } : { model: 'digits', examples }, examples: n };
  }

  /** The id of case `index`'s delivery (`k`: another in the same case). */
  deliveryId(index: number, k = 0): string {
    return `${this.prefix}_${index}${k ? `_${k}` : ''}`;
  }

  /**
   * `body` as a webhook request signed with the `standardwebhooks` library (as a sender signs it):
   * over the body decoded as the Worker decodes it, so that bytes that are not UTF-8 still verify.
   */
  signed(body: Uint8Array<ArrayBuffer>, o: { id: string; at?: number; secret?: string; contentType?: string; extra?: Array<[string, string]> }): FuzzRequest {
    const at = o.at ?? this.now();
    const payload = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(body);
    const signature = new Webhook(o.secret ?? this.secret).sign(o.id, new Date(at), payload);
    return {
      method: 'POST',
      path: WEBHOOK,
      headers: [
        ['content-type', o.contentType ?? 'application/json'],
        ['webhook-id', o.id],
        ['webhook-timestamp', String(Math.floor(at / 1000))],
        ['webhook-signature', signature],
        ...(o.extra ?? []),
      ],
      body,
    };
  }

  /** Signs a JSON value (see signed). */
  signedJson(value: unknown, o: Parameters<FuzzMaterials['signed']>[1]): FuzzRequest {
    return this.signed(json(value), o);
  }
}

export function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A PNG of the given size made of its header only, with a token of compressed data. */
export function pngHeaderOnly(width: number, height: number, colorType = 0): Uint8Array<ArrayBuffer> {
  return concat(SIGNATURE, ihdr(width, height, 8, colorType), chunk('IDAT', zlibSync(new Uint8Array(16))), chunk('IEND', new Uint8Array(0)));
}

/** A JPEG made of markers: SOI, a frame header of the given size, `scans` empty scans, EOI. */
export function jpegHeaderOnly(width: number, height: number, scans = 1): Uint8Array<ArrayBuffer> {
  const sof = [0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x00];
  return new Uint8Array([0xff, 0xd8, ...sof, ...Array.from({ length: scans }, () => sos).flat(), 0xff, 0xd9]);
}

/**
 * Dimensions over a pixel limit or over src/image's 8,192-pixel side, from modest to absurd (both
 * sides at least 8, so that the refusal is for size, not for being too small).
 */
export function bombSize(random: Random, maxPixels: number, maxSide = 65535): [number, number] {
  const sides = [8 + int(random, 65535 - 8), 100_000, 65535, 30_000, 8193, 4096, 2049, 2 ** 31 - 1, 8, 9].filter((x) => x <= maxSide);
  for (;;) {
    const [w, h] = [pick(random, sides), pick(random, sides)];
    if (w * h > maxPixels || Math.max(w, h) > 8192) return [w, h];
  }
}

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates become U+FFFD first). */
export function percentEncode(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

/** A multipart/form-data body, written byte by byte (so that it can be wrong on purpose). */
export function multipart(boundary: string, parts: Array<{ headers: string[]; body: Uint8Array }>, opts: { close?: boolean; eol?: string } = {}): Uint8Array<ArrayBuffer> {
  const eol = opts.eol ?? '\r\n';
  const enc = (s: string) => new TextEncoder().encode(s);
  const chunks: Uint8Array[] = [];
  for (const p of parts) chunks.push(enc(`--${boundary}${eol}${p.headers.join(eol)}${eol}${eol}`), p.body, enc(eol));
  if (opts.close ?? true) chunks.push(enc(`--${boundary}--${eol}`));
  return concat(...chunks);
}

/** A file part of a form. */
export const imagePart = (bytes: Uint8Array, type: string, name = 'image', filename = 'digit.png') => ({
  headers: [`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, `Content-Type: ${type}`],
  body: bytes,
});
