import { z } from '@hono/zod-openapi';
import { imageToMnist } from '../../src/image/index.ts';
import { CLASSES, toBytes, type Example } from '../../src/online/example.ts';
import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { decodeBase64Image, type Base64Image } from '../http/base64.ts';
import { ApiError } from '../http/errors.ts';
import { formatIssues } from '../http/json.ts';
import { MAX_EXAMPLES_PER_DELIVERY, MAX_WEBHOOK_IMAGE_BYTES, MAX_WEBHOOK_IMAGE_PIXELS, PIXELS } from '../limits.ts';

/** A digit's class. */
export const Label = z.int().min(0).max(CLASSES - 1).openapi({ description: 'the right digit' });

/** 784 numbers in [0, 1]: a 28 x 28 image, row-major, ink high (as /v1/predict takes). */
export const Pixels = z.array(z.number().min(0).max(1)).length(PIXELS).openapi({ minItems: PIXELS, maxItems: PIXELS, description: 'a 28 x 28 image, row-major, ink high' });

/** One example given as pixels. */
export const PixelsExample = z.strictObject({ label: Label, pixels: Pixels }).openapi('PixelsExample');

/** One example given as a base64 PNG or JPEG (optionally a `data:image/...;base64,` URL). */
export const ImageExample = z
  .strictObject({ label: Label, image: z.string().min(1).openapi({ description: `a base64 PNG or JPEG, or a data: URL; at most ${MAX_WEBHOOK_IMAGE_BYTES} bytes and ${MAX_WEBHOOK_IMAGE_PIXELS} pixels` }) })
  .openapi('ImageExample');

/** A model's name, as a URL and an object key may hold it. */
export const ModelName = z.string().regex(MODEL_NAME, 'must be 1-63 lowercase letters, digits and dashes, starting with a letter or digit');

/**
 * The webhook's body; each example is checked on its own below (PixelsExample or ImageExample, as
 * the document says), so that errors name its index.
 */
export const DeliveryBody = z
  .strictObject({
    model: ModelName.optional().openapi({ description: 'the model to train (default `digits`); one that does not exist is created when `base` is given' }),
    base: ModelName.optional().openapi({ description: 'for a model that does not exist yet: the model to fork it from (a personal model, forked from the base\'s current version)' }),
    examples: z
      .array(z.unknown().openapi({ oneOf: [{ $ref: '#/components/schemas/PixelsExample' }, { $ref: '#/components/schemas/ImageExample' }] }))
      .min(1)
      .max(MAX_EXAMPLES_PER_DELIVERY),
  })
  .openapi('Delivery');

const EXPECTED = `{ "model"?: name, "base"?: name, "examples": [1 to ${MAX_EXAMPLES_PER_DELIVERY} of { "label": 0-9, "image": base64 PNG/JPEG } or { "label": 0-9, "pixels": [${PIXELS} numbers in 0..1] }] }`;

/** Decodes and preprocesses one image of a delivery (tests may pass their own). */
export type DeliveryImageDecoder = (bytes: Uint8Array, contentType: string | undefined) => Float32Array;

/** src/image with the delivery's stricter pixel limit: exactly what /v1/predict does to an image. */
export const decodeDeliveryImage: DeliveryImageDecoder = (bytes, contentType) =>
  imageToMnist(bytes, { contentType, maxPixels: MAX_WEBHOOK_IMAGE_PIXELS }).pixels;

/**
 * The examples of a webhook delivery, preprocessed like /v1/predict and quantised to bytes:
 * 422 `invalid_delivery` naming the first bad example's index and field, 413 for an image over
 * its byte or pixel limit, and src/image's 4xx for an image that does not decode.
 *
 * @example
 * const { model, examples } = readDelivery(JSON.parse(body));
 */
export function readDelivery(value: unknown, decodeImage: DeliveryImageDecoder = decodeDeliveryImage): { model?: string; base?: string; examples: Example[] } {
  const body = DeliveryBody.safeParse(value);
  if (!body.success) throw new ApiError(422, 'invalid_delivery', `expected ${EXPECTED}; ${formatIssues(body.error.issues)}`);
  const examples = body.data.examples.map((raw, i) => readExample(raw, i, decodeImage));
  return { model: body.data.model, base: body.data.base, examples };
}

function readExample(raw: unknown, i: number, decodeImage: DeliveryImageDecoder): Example {
  const where = ['examples', i];
  if (typeof raw === 'object' && raw !== null && 'image' in raw) {
    const e = ImageExample.safeParse(raw);
    if (!e.success) throw new ApiError(422, 'invalid_delivery', formatIssues(e.error.issues, where));
    const { bytes, contentType } = imageBytes(e.data.image, i);
    let pixels: Float32Array;
    try {
      pixels = decodeImage(bytes, contentType);
    } catch (err) {
      const known = err as { status?: unknown; code?: unknown; message?: string };
      if (typeof known.status === 'number' && known.status >= 400 && known.status < 500 && typeof known.code === 'string') {
        throw new ApiError(known.status as 400, known.code, `examples[${i}].image: ${known.message}`);
      }
      throw err;
    }
    return { label: e.data.label, pixels: toBytes(pixels) };
  }
  const e = PixelsExample.safeParse(raw);
  if (!e.success) throw new ApiError(422, 'invalid_delivery', formatIssues(e.error.issues, where));
  return { label: e.data.label, pixels: toBytes(e.data.pixels) };
}

/** The bytes of a base64 image, its size checked from the text's length before decoding. */
function imageBytes(text: string, i: number): Base64Image {
  const r = decodeBase64Image(text, MAX_WEBHOOK_IMAGE_BYTES);
  if (!('problem' in r)) return r;
  if (r.problem === 'too_large') {
    throw new ApiError(413, 'image_too_large', `examples[${i}].image: an image in a delivery may hold at most ${MAX_WEBHOOK_IMAGE_BYTES} bytes; this one has ${r.size}`);
  }
  if (r.problem === 'not_base64') {
    throw new ApiError(422, 'invalid_delivery', `examples[${i}].image: not base64 (send the PNG or JPEG bytes base64-encoded, optionally as a data: URL)`);
  }
  throw new ApiError(422, 'invalid_delivery', `examples[${i}].image: the image is empty`);
}
