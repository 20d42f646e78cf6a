import { Webhook } from 'standardwebhooks';
import type { LabelledImages } from '../../../src/data/idx.ts';
import { sendOnce } from './http-client.ts';

export interface DeliveryRunOptions {
  url: string;
  secret: string;
  /** MNIST training digits to send (correctly labelled). */
  train: LabelledImages;
  /** First digit to send (30,000: outside the replay buffer's seed). */
  offset: number;
  examplesPerDelivery: number;
  /** One new delivery every this many ms, for `seconds`. */
  intervalMs: number;
  seconds: number;
  /** Prefix of the delivery ids. */
  prefix: string;
}

export interface DeliveryRunResult {
  /** New deliveries sent (each answered 202 or counted in `violations`). */
  deliveries: number;
  /** Deliveries answered 202: id -> examples. */
  accepted: Map<string, number>;
  /** The very same signed request sent again (a retry after a lost answer): answered 202 with `"duplicate": true`, nothing queued again. */
  duplicatesAccepted: number;
  /** Deliveries sent again with the same id, signed anew (a sender's retry): answered 202 (as they must be). */
  redeliveries: number;
  /** Answers that were not what they had to be. */
  violations: string[];
}

/**
 * Sends signed webhook deliveries of correctly labelled MNIST digits at a steady rate, as a
 * labelling tool would while the Worker serves predictions: every fifth one is also sent again as it
 * was (the same signed request: 202, a duplicate) and every seventh sends an earlier id again,
 * signed anew (202, to be applied once).
 *
 * @example
 * const r = await sendDeliveries({ url, secret, train, offset: 30_000, examplesPerDelivery: 10, intervalMs: 500, seconds: 60, prefix: 'soak' });
 */
export async function sendDeliveries(o: DeliveryRunOptions): Promise<DeliveryRunResult> {
  const webhook = new Webhook(o.secret);
  const result: DeliveryRunResult = { deliveries: 0, accepted: new Map(), duplicatesAccepted: 0, redeliveries: 0, violations: [] };
  const bodies = new Map<string, string>();
  const post = async (id: string, body: string, at: Date, signature = webhook.sign(id, at, body)) => {
    const headers: Array<[string, string]> = [['content-type', 'application/json'], ['webhook-id', id], ['webhook-timestamp', String(Math.floor(at.getTime() / 1000))], ['webhook-signature', signature]];
    const res = await sendOnce(o.url, { method: 'POST', path: '/v1/webhooks/training', headers, body: new Uint8Array(Buffer.from(body)) }, 30_000);
    return { status: res.status, text: res.body, signature };
  };
  const end = Date.now() + o.seconds * 1000;
  for (let k = 0; Date.now() < end; k++) {
    const tick = Date.now();
    const first = o.offset + k * o.examplesPerDelivery;
    if (first + o.examplesPerDelivery > o.train.n) break;
    const examples = Array.from({ length: o.examplesPerDelivery }, (_, j) => {
      const i = first + j;
      return { label: o.train.labels[i], pixels: Array.from(o.train.pixels.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1e4) / 1e4) };
    });
    const id = `${o.prefix}_${k}`;
    const body = JSON.stringify({ examples });
    bodies.set(id, body);
    const at = new Date();
    try {
      const sent = await post(id, body, at);
      result.deliveries++;
      if (sent.status === 202) result.accepted.set(id, o.examplesPerDelivery);
      else result.violations.push(`${id}: ${sent.status} ${sent.text.slice(0, 200)}`);
      if (k % 5 === 4) {
        const retry = await post(id, body, at, sent.signature);
        const answer = retry.status === 202 ? (JSON.parse(retry.text) as { accepted?: number; delivery?: string; duplicate?: boolean }) : {};
        if (answer.duplicate === true && answer.delivery === id && answer.accepted === o.examplesPerDelivery) result.duplicatesAccepted++;
        else result.violations.push(`${id} sent again: ${retry.status} ${retry.text.slice(0, 200)}`);
      }
      if (k % 7 === 6) {
        const again = `${o.prefix}_${k - 3}`;
        const redelivered = await post(again, bodies.get(again)!, new Date(at.getTime() + 1000));
        if (redelivered.status === 202) result.redeliveries++;
        else result.violations.push(`${again} redelivered: ${redelivered.status} ${redelivered.text.slice(0, 200)}`);
      }
    } catch (e) {
      result.violations.push(`${id}: ${(e as Error).name}: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, tick + o.intervalMs - Date.now())));
  }
  return result;
}
