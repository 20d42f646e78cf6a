import { createRoute, z } from '@hono/zod-openapi';
import { errors, json, SECURITY } from '../http/openapi.ts';
import { MAX_EXAMPLES_PER_DELIVERY, MAX_WEBHOOK_BYTES } from '../limits.ts';
import { DeliveryBody } from '../queue/examples.ts';

/** The answer of an accepted delivery (webhook and feedback). */
export const AcceptedSchema = z
  .object({
    accepted: z.number().int().min(1).openapi({ description: 'examples queued' }),
    delivery: z.string().openapi({ description: 'the delivery\'s id (the webhook-id, or `fb_<uuid>` for feedback)' }),
    duplicate: z.literal(true).optional().openapi({ description: 'present when this very signed request had been accepted already: nothing was queued again' }),
  })
  .openapi('Accepted');

export type Accepted = z.infer<typeof AcceptedSchema>;

/** POST /v1/webhooks/training (route.ts). */
export const trainingWebhook = createRoute({
  method: 'post',
  path: '/v1/webhooks/training',
  tags: ['online learning'],
  summary: 'Labelled examples for online training (signed)',
  description:
    `A Standard Webhooks delivery of 1 to ${MAX_EXAMPLES_PER_DELIVERY} labelled examples, answered once it is durably queued; ` +
    `the model's trainer decides it once (the webhook-id is the idempotency key) and a statistical gate decides whether the result becomes current. ` +
    `A model that does not exist is created when the body names a \`base\` (a personal model, forked from the base's current version). ` +
    `Checked in this order: the body's size (at most ${MAX_WEBHOOK_BYTES} bytes), the signature over the raw bytes, the content type, JSON, ` +
    `the examples (an error names the index), the model, earlier attempts of the same signed request, then the queue.`,
  security: SECURITY.webhook,
  request: { body: { required: true, content: { 'application/json': { schema: DeliveryBody } } } },
  responses: {
    202: json(AcceptedSchema, 'Queued'),
    ...errors({
      400: '`invalid_webhook_id`, `empty_body`, `incomplete_body`, `malformed_json`, or an image that does not decode',
      401: '`invalid_signature`',
      409: '`delivery_in_progress` (the first attempt of the same signed request is still being queued; with Retry-After), `delivery_conflict` (the same webhook-id and timestamp with another body), `too_many_models` (a new personal model past MAX_MODELS)',
      413: '`payload_too_large`, `image_too_large`, `too_many_pixels`',
      415: '`unsupported_media_type`, or an image in another format',
      422: '`invalid_delivery` (naming the example and field), `unknown_model` (no such model and no `base`, or an unknown base), `no_digit`',
      503: '`webhook_not_configured`, `training_unavailable`, `queue_unavailable` (with Retry-After), `registry_unavailable` (a new personal model without a registry to keep it in)',
    }),
  },
});
