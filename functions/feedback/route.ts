import { toBytes } from '../../src/online/example.ts';
import type { AppDeps, AppEnv, Bindings } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { formatIssues, parseJson } from '../http/json.ts';
import { ApiApp } from '../http/openapi.ts';
import { DEFAULT_MODEL, FEEDBACK_RETRY_AFTER_SECONDS, MAX_FEEDBACK_BYTES, PIXELS } from '../limits.ts';
import { requireModel } from '../models/personal.ts';
import { enqueueDelivery } from '../queue/enqueue.ts';
import { FEEDBACK_ID_PREFIX } from '../queue/message.ts';
import type { Accepted } from '../webhooks/route.ts';
import { clientKey } from './client.ts';
import { feedbackOriginAllowed } from './origins.ts';
import { feedback, FeedbackBody } from './spec.ts';

export { FeedbackBody };

const EXPECTED = `{ "pixels": [${PIXELS} numbers in 0..1], "label": 0-9, "model"?: name }`;

/**
 * POST /v1/feedback: a correction from the public page ("Wrong? It was a ..."). Unauthenticated,
 * so: switchable off (`FEEDBACK_ENABLED=false`: 503 `feedback_disabled`), taken from browsers of
 * the page's own origin only (and FEEDBACK_ORIGINS: 403 `origin_not_allowed` for another Origin; its
 * CORS, frame.ts, lets no other page send one), rate-limited per client (CF-Connecting-IP, an IPv6
 * address by its /64; Workers' rate-limiting binding: 429 with Retry-After) before anything is
 * read, validated like the webhook (413/415/400/422), and fed into the same queue and trainer (of
 * `model`, default digits; 422 for an unknown one), where corrections wait to make a round together
 * (FEEDBACK_BATCH_SIZE or FEEDBACK_BATCH_SECONDS) and pass the same gate: a correction can change
 * the served model only through a candidate that is not significantly worse, so wrong labels sent
 * on purpose are rejected.
 *
 * @example
 * curl -s localhost:8787/v1/feedback -H 'content-type: application/json' -d '{"pixels":[...784],"label":7}'
 * // 202 { "accepted": 1, "delivery": "fb_0b6c..." }
 */
export function feedbackRoute(deps: AppDeps) {
  return new ApiApp<AppEnv>().openapi(feedback, async (c) => {
    if (!feedbackEnabled(c.env)) throw new ApiError(503, 'feedback_disabled', 'corrections are switched off on this server');
    // Simple cross-origin POSTs skip the preflight: the Origin a browser sends is checked here too.
    const origin = c.req.header('origin');
    if (origin !== undefined && !feedbackOriginAllowed(origin, new URL(c.req.url).origin, c.env)) {
      throw new ApiError(403, 'origin_not_allowed', `corrections are taken from this site's own page; a page of ${JSON.stringify(origin.slice(0, 100))} may not send them`);
    }
    await checkRate(c.env, c.req.header('cf-connecting-ip'));
    const body = await readBody(c.req.raw, MAX_FEEDBACK_BYTES, 'feedback body');
    const type = mediaType(c.req.header('content-type'));
    if (type !== 'application/json') {
      throw new ApiError(415, 'unsupported_media_type', `content type "${type || '(none)'}" is not accepted; send application/json ${EXPECTED}`);
    }
    const parsed = FeedbackBody.safeParse(parseJson(body, EXPECTED));
    if (!parsed.success) throw new ApiError(422, 'invalid_feedback', `expected ${EXPECTED}; ${formatIssues(parsed.error.issues)}`);
    const model = parsed.data.model ?? DEFAULT_MODEL;
    await requireModel(deps, c.env, model);
    const delivery = `${FEEDBACK_ID_PREFIX}${crypto.randomUUID()}`;
    const example = { label: parsed.data.label, pixels: toBytes(parsed.data.pixels) };
    await enqueueDelivery(c.env, { delivery, model, source: 'feedback', examples: [example] });
    return c.json({ accepted: 1, delivery } satisfies Accepted, 202);
  });
}

/** `FEEDBACK_ENABLED`: on when unset or "true", off when "false"; anything else is a typo and fails closed. */
export function feedbackEnabled(env: Bindings | undefined): boolean {
  const value = env?.FEEDBACK_ENABLED?.trim().toLowerCase();
  if (value === undefined || value === 'true') return true;
  if (value !== 'false') console.error(`FEEDBACK_ENABLED is '${env?.FEEDBACK_ENABLED}', not "true" or "false": feedback is off`);
  return false;
}

async function checkRate(env: Bindings | undefined, client: string | undefined): Promise<void> {
  const limiter = env?.FEEDBACK_LIMITER;
  if (!limiter) return; // Node tests of the app; the Worker always has the binding (wrangler.toml)
  const { success } = await limiter.limit({ key: `feedback:${clientKey(client)}` });
  if (!success) {
    throw new ApiError(429, 'rate_limited', `too many corrections from this client; try again in ${FEEDBACK_RETRY_AFTER_SECONDS} s`, {
      'Retry-After': String(FEEDBACK_RETRY_AFTER_SECONDS),
    });
  }
}
