import type { AppDeps, AppEnv } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { parseJson } from '../http/json.ts';
import { ApiApp } from '../http/openapi.ts';
import { DEFAULT_MODEL, MAX_WEBHOOK_BYTES } from '../limits.ts';
import { enqueueDelivery } from '../training/enqueue.ts';
import { ImageExample, PixelsExample, readDelivery } from '../training/examples.ts';
import { DELIVERY_ID, FEEDBACK_ID_PREFIX } from '../training/message.ts';
import { verifyWebhook } from './signature.ts';
import { trainingWebhook, type Accepted } from './spec.ts';

export type { Accepted };

/**
 * POST /v1/webhooks/training: labelled examples from a system that holds the webhook secret.
 * In order: the body's size (413, from Content-Length or while reading), the Standard Webhooks
 * signature over the raw bytes (401, nothing else looked at), the content type (415), JSON (400),
 * the examples (422/413/415, naming the index), replays (401: the same signed request again), then
 * the queue; 202 only once the queue took it. The webhook-id is the idempotency key: a redelivery
 * (same id, signed anew) is accepted again and trained on once.
 *
 * @example
 * // npm run webhook -- --label 3 three.png
 * // 202 { "accepted": 1, "delivery": "msg_2b1..." }
 */
export function webhookRoute(deps: AppDeps) {
  const app = new ApiApp<AppEnv>();
  // The two shapes of an example, which the delivery's schema refers to (readDelivery checks each with them).
  app.openAPIRegistry.register('PixelsExample', PixelsExample);
  app.openAPIRegistry.register('ImageExample', ImageExample);
  return app.openapi(trainingWebhook, async (c) => {
    const body = await readBody(c.req.raw, MAX_WEBHOOK_BYTES, 'webhook body');
    const { id, timestamp } = verifyWebhook(c.env?.WEBHOOK_SECRET, body, c.req.raw.headers);
    if (!DELIVERY_ID.test(id) || id.startsWith(FEEDBACK_ID_PREFIX)) {
      throw new ApiError(400, 'invalid_webhook_id', `webhook-id must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit and not with '${FEEDBACK_ID_PREFIX}' (kept for feedback)`);
    }
    const type = mediaType(c.req.header('content-type'));
    if (type !== 'application/json') {
      throw new ApiError(415, 'unsupported_media_type', `content type "${type || '(none)'}" is not accepted; send application/json`);
    }
    const { model = DEFAULT_MODEL, examples } = readDelivery(parseJson(body, '{ "examples": [...] }'));
    if (!deps.catalog.has(model)) {
      throw new ApiError(422, 'unknown_model', `no model named '${model}' is served; GET /v1/models lists them`);
    }
    // The same signed request twice is a replay (401, nothing queued); a redelivery is signed anew.
    const trainers = c.env?.TRAINER;
    if (!trainers) throw new ApiError(503, 'training_unavailable', 'this deployment has no trainer (TRAINER)');
    const trainer = trainers.get(trainers.idFromName(model));
    if (!(await trainer.admitAttempt(id, timestamp))) {
      throw new ApiError(401, 'replayed_delivery', 'this signed delivery was already received; a redelivery must be signed again with a new timestamp');
    }
    try {
      await enqueueDelivery(c.env, { delivery: id, model, source: 'webhook', examples });
    } catch (e) {
      await trainer.forgetAttempt(id, timestamp);
      throw e;
    }
    return c.json({ accepted: examples.length, delivery: id } satisfies Accepted, 202);
  });
}
