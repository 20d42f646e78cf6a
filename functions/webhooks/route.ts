import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { parseJson } from '../http/json.ts';
import { DEFAULT_MODEL, MAX_WEBHOOK_BYTES } from '../limits.ts';
import { ensureModel } from '../models/personal.ts';
import { enqueueDelivery } from '../training/enqueue.ts';
import { readDelivery } from '../training/examples.ts';
import { DELIVERY_ID, FEEDBACK_ID_PREFIX } from '../training/message.ts';
import { verifyWebhook } from './signature.ts';

/** The answer of an accepted delivery. */
export interface Accepted {
  accepted: number;
  delivery: string;
}

/**
 * POST /v1/webhooks/training: labelled examples from a system that holds the webhook secret.
 * In order: the body's size (413, from Content-Length or while reading), the Standard Webhooks
 * signature over the raw bytes (401, nothing else looked at), the content type (415), JSON (400),
 * the examples (422/413/415, naming the index), the model (422 unknown; a new personal model when
 * the body names a `base`: 409 past MAX_MODELS), replays (401: the same signed request again),
 * then the queue; 202 only once the queue took it. The webhook-id is the idempotency key: a
 * redelivery (same id, signed anew) is accepted again and trained on once.
 *
 * @example
 * // npm run webhook -- --label 3 three.png
 * // 202 { "accepted": 1, "delivery": "msg_2b1..." }
 */
export function webhookRoute(deps: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/v1/webhooks/training', async (c) => {
    const body = await readBody(c.req.raw, MAX_WEBHOOK_BYTES, 'webhook body');
    const { id, timestamp } = verifyWebhook(c.env?.WEBHOOK_SECRET, body, c.req.raw.headers);
    if (!DELIVERY_ID.test(id) || id.startsWith(FEEDBACK_ID_PREFIX)) {
      throw new ApiError(400, 'invalid_webhook_id', `webhook-id must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit and not with '${FEEDBACK_ID_PREFIX}' (kept for feedback)`);
    }
    const type = mediaType(c.req.header('content-type'));
    if (type !== 'application/json') {
      throw new ApiError(415, 'unsupported_media_type', `content type "${type || '(none)'}" is not accepted; send application/json`);
    }
    const { model = DEFAULT_MODEL, base, examples } = readDelivery(parseJson(body, '{ "examples": [...] }'));
    const trainers = c.env?.TRAINER;
    if (!trainers) throw new ApiError(503, 'training_unavailable', 'this deployment has no trainer (TRAINER)');
    await ensureModel(deps, c.env, model, base);
    // The same signed request twice is a replay (401, nothing queued); a redelivery is signed anew.
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
