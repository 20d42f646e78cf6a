import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { RECORD_BYTES } from '../../src/online/example.ts';
import { MAX_DELIVERY_ID_CHARS, MAX_EXAMPLES_PER_DELIVERY } from '../limits.ts';

/** Where a delivery came from: the signed webhook, or the public page's corrections. */
export type DeliverySource = 'webhook' | 'feedback';

/**
 * One delivery of labelled examples on the training queue. Examples travel preprocessed and
 * quantised (src/online packExamples: label + 784 pixel bytes each); on the queue the message is
 * bytes (encodeTrainingMessage), so 100 examples make about 79 KB (a message may hold 128 KB).
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
  send(message: Uint8Array, options: { contentType: 'bytes' }): Promise<unknown>;
}

/** Format version of the bytes below. */
const FORMAT = 1;

/**
 * A training message as queue bytes: [format u8 = 1][header length u16 LE][header JSON: delivery,
 * model, source, receivedAt][records]. Bytes rather than the queue's structured-clone (`v8`) encoding:
 * compact, readable by any consumer, and local queues (Miniflare 4.20260426) fail to send a
 * structured clone holding a typed array of more than about 16 KB.
 *
 * @example
 * await env.TRAINING_QUEUE.send(encodeTrainingMessage(m), { contentType: 'bytes' });
 */
export function encodeTrainingMessage(m: TrainingMessage): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ delivery: m.delivery, model: m.model, source: m.source, receivedAt: m.receivedAt }));
  if (header.length > 0xffff) throw new Error('training message header too long');
  const out = new Uint8Array(3 + header.length + m.records.length);
  out[0] = FORMAT;
  out[1] = header.length & 0xff;
  out[2] = header.length >> 8;
  out.set(header, 3);
  out.set(m.records, 3 + header.length);
  return out;
}

/** Sends a message on the training queue, as bytes. */
export function sendTrainingMessage(queue: TrainingQueue, m: TrainingMessage): Promise<unknown> {
  return queue.send(encodeTrainingMessage(m), { contentType: 'bytes' });
}

function decodeTrainingMessage(bytes: Uint8Array): unknown {
  if (bytes.length < 3 || bytes[0] !== FORMAT) throw new Error(`training message bytes must start with format ${FORMAT}`);
  const length = bytes[1] | (bytes[2] << 8);
  if (bytes.length < 3 + length) throw new Error('training message bytes are truncated');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(3, 3 + length))) as Record<string, unknown>;
  return { ...header, records: bytes.slice(3 + length) };
}

/** Delivery ids: printable, no slash (they name R2 objects and storage keys), at most 128 characters. */
export const DELIVERY_ID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_DELIVERY_ID_CHARS - 1}}$`);

/** The prefix of the ids the Worker makes for feedback deliveries; webhook ids may not use it. */
export const FEEDBACK_ID_PREFIX = 'fb_';

/**
 * Checks a message taken off a queue (its bytes) or out of a dead letter (an object) before it is
 * trusted: a message that fails here is malformed for good, and is kept as such rather than retried.
 *
 * @example
 * const message = parseTrainingMessage(queueMessage.body);
 */
export function parseTrainingMessage(body: unknown): TrainingMessage {
  if (body instanceof ArrayBuffer) body = new Uint8Array(body);
  const m = (body instanceof Uint8Array ? decodeTrainingMessage(body) : body) as Partial<TrainingMessage> | null;
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
