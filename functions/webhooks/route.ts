import type { AppDeps, AppEnv } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { parseJson } from '../http/json.ts';
import { ApiApp } from '../http/openapi.ts';
import { DEFAULT_MODEL, MAX_WEBHOOK_BYTES } from '../limits.ts';
import { ensureModel } from '../models/personal.ts';
import { enqueueDelivery } from '../queue/enqueue.ts';
import { ImageExample, PixelsExample, readDelivery } from '../queue/examples.ts';
import { DELIVERY_ID, FEEDBACK_ID_PREFIX } from '../queue/message.ts';
import { verifyWebhook } from './signature.ts';
import { trainingWebhook, type Accepted } from './spec.ts';

export type { Accepted };

/** Seconds a sender waits when the first attempt of the same signed request is still being queued. */
const PENDING_RETRY_AFTER_SECONDS = 1;

/**
 * POST /v1/webhooks/training: labelled examples from a system that holds the webhook secret.
 * In order: the body's size (413, from Content-Length or while reading), the Standard Webhooks
 * signature over the raw bytes (401, nothing else looked at), the content type (415), JSON (400),
 * the examples (422/413/415, naming the index), the model (422 unknown; a new personal model when
 * the body names a `base`: 409 past MAX_MODELS), then the ledger of signed attempts, then the queue;
 * 202 only once the queue took it. The same signed request again (a sender's retry after a lost
 * answer) is answered 202 with `"duplicate": true` and nothing queued; while its first attempt is
 * still being queued, 409 `delivery_in_progress` with Retry-After. The webhook-id is the idempotency
 * key: a redelivery (same id, signed anew) is queued again and trained on once.
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
    const { model = DEFAULT_MODEL, base, examples } = readDelivery(parseJson(body, '{ "examples": [...] }'));
    const trainers = c.env?.TRAINER;
    if (!trainers) throw new ApiError(503, 'training_unavailable', 'this deployment has no trainer (TRAINER)');
    await ensureModel(deps, c.env, model, base);
    // The same signed request twice is a retry: accepted once, answered alike; a redelivery is signed anew.
    const trainer = trainers.get(trainers.idFromName(model));
    const admission = await trainer.admitAttempt(id, timestamp, await sha256Hex(body));
    if (admission === 'duplicate') return c.json({ accepted: examples.length, delivery: id, duplicate: true } satisfies Accepted, 202);
    if (admission === 'pending') {
      throw new ApiError(409, 'delivery_in_progress', 'the first attempt of this signed delivery is still being queued; send it again in a second', {
        'Retry-After': String(PENDING_RETRY_AFTER_SECONDS),
      });
    }
    if (admission === 'conflict') {
      throw new ApiError(409, 'delivery_conflict', 'this webhook-id and timestamp were received with another body; a new delivery needs a new webhook-id');
    }
    try {
      await enqueueDelivery(c.env, { delivery: id, model, source: 'webhook', examples });
    } catch (e) {
      await trainer.forgetAttempt(id, timestamp);
      throw e;
    }
    // The queue has it: a ledger that cannot say so only makes a retry wait (409) until the attempt is stale.
    await trainer.attemptQueued(id, timestamp).catch((e) => console.error(`webhook: delivery ${id} queued, but the ledger did not record it`, e));
    return c.json({ accepted: examples.length, delivery: id } satisfies Accepted, 202);
  });
}

/** The body's SHA-256, in hex: what the ledger keeps of an attempt's content. */
async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
