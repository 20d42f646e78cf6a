import { createRoute, z } from '@hono/zod-openapi';
import { errors, json } from '../http/openapi.ts';
import { FEEDBACK_RETRY_AFTER_SECONDS, MAX_FEEDBACK_BYTES } from '../limits.ts';
import { Label, Pixels } from '../training/examples.ts';
import { AcceptedSchema } from '../webhooks/spec.ts';

/** The body of POST /v1/feedback: the 28 x 28 the model saw, and the digit it should have said. */
export const FeedbackBody = z.strictObject({ pixels: Pixels, label: Label }).openapi('Feedback');

/** POST /v1/feedback (route.ts). */
export const feedback = createRoute({
  method: 'post',
  path: '/v1/feedback',
  tags: ['online learning'],
  summary: 'A correction from the page',
  description:
    `The pixels the model saw (\`?include=input\` of a prediction) and the right digit, queued for the same trainer and holdout gate as the webhook: ` +
    `a correction changes the served model only through a candidate that does no worse on the holdout. Public, so rate-limited per client ` +
    `(429 with Retry-After: ${FEEDBACK_RETRY_AFTER_SECONDS}) before anything is read, and switchable off. Body at most ${MAX_FEEDBACK_BYTES} bytes.`,
  request: { body: { required: true, content: { 'application/json': { schema: FeedbackBody } } } },
  responses: {
    202: json(AcceptedSchema, 'Queued'),
    ...errors({
      400: '`empty_body`, `malformed_json`',
      403: '`origin_not_allowed` (a browser page of another origin than FEEDBACK_ORIGINS and this site)',
      413: '`payload_too_large`',
      415: '`unsupported_media_type`',
      422: '`invalid_feedback`',
      429: '`rate_limited` (with Retry-After)',
      503: '`feedback_disabled`, `training_unavailable`, `queue_unavailable`',
    }),
  },
});
