import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { RECORD_BYTES } from '../../src/online/example.ts';
import { MAX_DELIVERY_ID_CHARS, MAX_EXAMPLES_PER_DELIVERY } from '../limits.ts';

/** Where a delivery came from: the signed webhook, or the public page's corrections. */
export type DeliverySource = 'webhook' | 'feedback';

/**
 * One delivery of labelled examples on the training queue. Examples travel preprocessed and
 * quantised (src/online packExamples: label + 784 pixel bytes each), in the queue's default `v8`
 * encoding, so a message of 100 examples is about 79 KB (the limit is 128 KB).
 */
export interface TrainingMessage {
  /** The idempotency key: the webhook-id, or `fb_<uuid>` for feedback. Applied once, whatever the retries. */
  delivery: string;
  model: string;
  source: DeliverySource;
  /** When the Worker accepted it (ISO 8601). */
  receivedAt: string;
  /** n x 785 bytes (src/online packExamples). */
  records: Uint8Array;
}

/** The producer side of the training queue (a Queue binding satisfies it). */
export interface TrainingQueue {
  send(message: TrainingMessage): Promise<unknown>;
}

/** Delivery ids: printable, no slash (they name R2 objects and storage keys), at most 128 characters. */
export const DELIVERY_ID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_DELIVERY_ID_CHARS - 1}}$`);

/** The prefix of the ids the Worker makes for feedback deliveries; webhook ids may not use it. */
export const FEEDBACK_ID_PREFIX = 'fb_';

/**
 * Checks a message taken off a queue (or out of a dead letter) before it is trusted: a message that
 * fails here is malformed for good, and is recorded as such rather than retried.
 *
 * @example
 * const message = parseTrainingMessage(queueMessage.body);
 */
export function parseTrainingMessage(body: unknown): TrainingMessage {
  const m = body as Partial<TrainingMessage> | null;
  if (typeof m !== 'object' || m === null) throw new Error('a training message must be an object');
  if (typeof m.delivery !== 'string' || !DELIVERY_ID.test(m.delivery)) throw new Error(`delivery id ${JSON.stringify(m.delivery)} is not valid`);
  if (typeof m.model !== 'string' || !MODEL_NAME.test(m.model)) throw new Error(`model name ${JSON.stringify(m.model)} is not valid`);
  if (m.source !== 'webhook' && m.source !== 'feedback') throw new Error(`source ${JSON.stringify(m.source)} is not webhook or feedback`);
  if (typeof m.receivedAt !== 'string' || Number.isNaN(Date.parse(m.receivedAt))) throw new Error('receivedAt is not a date');
  if (!(m.records instanceof Uint8Array)) throw new Error('records must be bytes');
  const n = m.records.length / RECORD_BYTES;
  if (!Number.isInteger(n) || n < 1 || n > MAX_EXAMPLES_PER_DELIVERY) {
    throw new Error(`records must hold 1 to ${MAX_EXAMPLES_PER_DELIVERY} examples of ${RECORD_BYTES} bytes; got ${m.records.length} bytes`);
  }
  return { delivery: m.delivery, model: m.model, source: m.source, receivedAt: m.receivedAt, records: m.records };
}
