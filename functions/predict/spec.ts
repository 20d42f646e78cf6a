import { createRoute, z } from '@hono/zod-openapi';
import { documented, errors, json } from '../http/openapi.ts';
import { IMAGE_FIELD, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_JSON_BYTES, PIXELS } from '../limits.ts';
import { ModelRef } from '../models/spec.ts';
import { INCLUDABLE, parseInclude } from './include.ts';
import { parseModelName } from './model-query.ts';
import { PixelsBody } from './pixels-body.ts';

// The route's schemas, in zod's full API for the document (GET /openapi.json). The handler
// (handler.ts) reads the query with the same parsers these schemas call, and its JSON body with
// PixelsBody (valibot's, pixels-body.ts): the Worker that predicts loads none of this module.

const PixelsBodyDocumented = documented(PixelsBody, 'PixelsBody', 'exactly 784 numbers in 0..1 (a 28 x 28 image, row-major, ink high) and no other key');

/** A query parameter that arrives as one string, or an array when repeated, as one list. */
const repeatable = z.union([z.string(), z.array(z.string())]).optional();
const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/**
 * The query of /v1/predict: `model` names the model (model-query.ts), `include` the parts to add
 * (include.ts); each parser's ApiError goes straight to the app's error handler.
 */
export const PredictQuery = z.object({
  model: repeatable
    .transform((v) => parseModelName(asList(v)))
    .openapi({ description: 'the model to predict with (default `digits`): a personal model by its name', example: 'writer-a' }),
  include: repeatable
    .transform((v) => parseInclude(asList(v)))
    .openapi({ description: `Parts to add to the answer, repeated or comma-separated: ${INCLUDABLE.map((p) => `\`${p}\``).join(', ')} (the 784 pixels the model saw)`, example: 'input' }),
});

/** An image as the body's bytes. */
const imageBytes = (type: string) => ({ schema: { type: 'string' as const, contentMediaType: type } });

/** The answer of POST /v1/predict. */
export const PredictionSchema = z
  .object({
    digit: z.number().int().min(0).max(9).openapi({ description: 'the most probable digit' }),
    probabilities: z.array(z.number().min(0).max(1)).length(10).openapi({ minItems: 10, maxItems: 10, description: 'softmax output, one per digit 0-9' }),
    model: ModelRef,
    engine: z.enum(['core', 'onnxruntime']).openapi({ description: 'which implementation computed it: the core while onnxruntime sets up in a fresh isolate, then onnxruntime' }),
    input: z.array(z.number().min(0).max(1)).length(PIXELS).optional()
      .openapi({ minItems: PIXELS, maxItems: PIXELS, description: 'only with `?include=input`: the 28 x 28 the model saw, row-major, ink high' }),
  })
  .openapi('Prediction');

export type Prediction = z.infer<typeof PredictionSchema>;

/** POST /v1/predict (route.ts). */
export const predict = createRoute({
  method: 'post',
  path: '/v1/predict',
  tags: ['predict'],
  summary: 'Classify one digit',
  description:
    `One image in, the digit and its 10 probabilities out, with the model version that answered (\`?model=\`: a personal model instead of \`digits\`). ` +
    `Images are decoded and made into what MNIST models expect (alpha over white, grayscale, polarity, cropped to the ink, ` +
    `20 x 20 in 28 x 28 centred by mass). \`image/apng\`, \`image/jpg\` and \`image/pjpeg\` are taken as PNG and JPEG; ` +
    `\`application/octet-stream\` lets the bytes decide. Limits: JSON ${MAX_JSON_BYTES} bytes; an image ${MAX_IMAGE_BYTES} bytes ` +
    `and ${MAX_IMAGE_PIXELS} pixels (read from its header before decoding).`,
  request: {
    query: PredictQuery,
    body: {
      required: true,
      content: {
        'application/json': { schema: PixelsBodyDocumented },
        'image/png': imageBytes('image/png'),
        'image/jpeg': imageBytes('image/jpeg'),
        'application/octet-stream': { schema: { type: 'string', description: 'PNG or JPEG bytes' } },
        'multipart/form-data': {
          schema: z.object({ [IMAGE_FIELD]: z.custom<Blob>().openapi({ type: 'string', format: 'binary', description: 'a PNG or JPEG file' }) }),
        },
      },
    },
  },
  responses: {
    200: json(PredictionSchema, 'The digit'),
    ...errors({
      400: '`invalid_query`, `empty_body`, `incomplete_body`, `malformed_json`, `malformed_multipart`, `corrupt_image`, `truncated_image`',
      413: '`payload_too_large`, `too_many_bytes`, `too_many_pixels`',
      415: '`unsupported_media_type`, `content_type_mismatch` (the bytes are the other format)',
      422: '`invalid_pixels`, `missing_image`, `invalid_image_field`, `no_digit`, `image_too_small`, `invalid_model_name`, `unknown_model`',
      503: '`model_unavailable` (a personal model whose first version is not readable yet; with Retry-After)',
    }),
  },
});
