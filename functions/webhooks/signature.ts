import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ApiError } from '../http/errors.ts';

/** The Standard Webhooks headers (https://www.standardwebhooks.com). */
export const WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** What a verified delivery proves: who numbered it, and when it was signed. */
export interface VerifiedDelivery {
  id: string;
  timestamp: number;
}

// Decodes the body exactly as the sender's library encoded it: a leading BOM is kept, not eaten, so
// that the signed string and the verified one are the same characters.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Verifies a Standard Webhooks signature over the raw body with the `standardwebhooks` package:
 * HMAC-SHA256 of `id.timestamp.body` under the `whsec_` secret, any of several space-separated
 * `v1,` signatures (key rotation), and a timestamp within 5 minutes of now either way. Any failure
 * is 401 with the library's reason (it never contains the secret); nothing is parsed before this.
 * A missing or malformed secret is the operator's fault: 503, logged without its value.
 *
 * @example
 * const { id } = verifyWebhook(env.WEBHOOK_SECRET, bodyBytes, request.headers);
 */
export function verifyWebhook(secret: string | undefined, body: Uint8Array, headers: Headers): VerifiedDelivery {
  if (!secret) {
    console.error('webhook: WEBHOOK_SECRET is not set; every delivery is refused');
    throw new ApiError(503, 'webhook_not_configured', 'the training webhook is not configured on this server');
  }
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch {
    console.error('webhook: WEBHOOK_SECRET is not a whsec_ secret (whsec_ followed by base64); every delivery is refused');
    throw new ApiError(503, 'webhook_not_configured', 'the training webhook is not configured on this server');
  }
  const given: Record<string, string> = {};
  for (const name of WEBHOOK_HEADERS) {
    const value = headers.get(name);
    if (value !== null) given[name] = value;
  }
  try {
    webhook.verify(utf8.decode(body), given, { jsonParse: false });
  } catch (e) {
    if (e instanceof WebhookVerificationError) {
      throw new ApiError(401, 'invalid_signature', `the webhook signature could not be verified: ${e.message}`);
    }
    throw e;
  }
  return { id: given['webhook-id'], timestamp: Number.parseInt(given['webhook-timestamp'], 10) };
}
