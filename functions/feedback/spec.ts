import { createRoute, z } from '@hono/zod-openapi';
import { errors, json } from '../http/openapi.ts';
import { FEEDBACK_RETRY_AFTER_SECONDS, MAX_FEEDBACK_BYTES } from '../limits.ts';
import { Label, ModelName, Pixels } from '../queue/examples.ts';
import { AcceptedSchema } from '../webhooks/spec.ts';

/** The body of POST /v1/feedback: the 28 x 28 the model saw, the digit it should have said, and the model that answered. */
export const FeedbackBody = z
  .strictObject({ pixels: Pixels, label: Label, model: ModelName.optional().openapi({ description: 'the model that answered (default `digits`): a personal one may be corrected' }) })
  .openapi('Feedback');

/** POST /v1/feedback (route.ts). */
export const feedback = createRoute({
  method: 'post',
  path: '/v1/feedback',
  tags: ['online learning'],
  summary: 'A correction from the page',
  description:
    `The pixels the model saw (\`?include=input\` of a prediction) and the right digit, queued for the same trainer and gate as the webhook; ` +
    `corrections wait in the model's trainer and make a round together (FEEDBACK_BATCH_SIZE of them, or after FEEDBACK_BATCH_SECONDS), ` +
    `and change the served model only through a candidate that is not significantly worse. Public, so rate-limited per client ` +
    `(429 with Retry-After: ${FEEDBACK_RETRY_AFTER_SECONDS}) before anything is read, and switchable off. Body at most ${MAX_FEEDBACK_BYTES} bytes.`,
  request: { body: { required: true, content: { 'application/json': { schema: FeedbackBody } } } },
  responses: {
    202: json(AcceptedSchema, 'Queued'),
    ...errors({
      400: '`empty_body`, `incomplete_body`, `malformed_json`',
      403: '`origin_not_allowed` (a browser page of another origin than FEEDBACK_ORIGINS and this site)',
      413: '`payload_too_large`',
      415: '`unsupported_media_type`',
      422: '`invalid_feedback`, `unknown_model`',
      429: '`rate_limited` (with Retry-After)',
      503: '`feedback_disabled`, `training_unavailable`, `queue_unavailable`',
    }),
  },
});
