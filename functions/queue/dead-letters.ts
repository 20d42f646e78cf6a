import type { ObjectStore } from '../../src/registry/object-store.ts';
import { RECORD_BYTES } from '../../src/online/example.ts';
import { parseTrainingMessage, type TrainingMessage } from './message.ts';

/** What the dead letters need from R2 beyond the registry's subset: listing and deleting. */
export interface DeadLetterBucket {
  list(options: { prefix: string; cursor?: string; limit?: number; include?: Array<'customMetadata'> }): Promise<{
    objects: Array<{ key: string; size: number; uploaded: Date; customMetadata?: Record<string, string> }>;
    truncated: boolean;
    cursor?: string;
  }>;
  delete(key: string): Promise<void>;
}

export type DeadLetterStore = ObjectStore & DeadLetterBucket;

/** R2 prefixes: dead letters, and the last error of a delivery that is being retried. */
export const DEAD_LETTER_PREFIX = 'deadletters/';
export const FAILURE_PREFIX = 'training-failures/';

/** A delivery whose training failed every attempt, as kept in R2 (`deadletters/<delivery>.json`). */
export interface DeadLetter {
  delivery: string;
  model: string;
  source: TrainingMessage['source'];
  receivedAt: string;
  /** When the dead-letter queue handed it over (ISO 8601). */
  deadAt: string;
  /** The last error the trainer reported, if one was recorded. */
  lastError: string | null;
  /** The attempt that error came from. */
  attempts: number | null;
  examples: number;
  labels: number[];
  /** The packed examples, base64 (src/online packExamples). */
  records: string;
}

/** A dead letter in a listing: everything but the examples themselves. */
export type DeadLetterSummary = Omit<DeadLetter, 'records' | 'labels' | 'receivedAt' | 'source' | 'attempts'>;

export const deadLetterKey = (delivery: string) => `${DEAD_LETTER_PREFIX}${delivery}.json`;
const failureKey = (delivery: string) => `${FAILURE_PREFIX}${delivery}.json`;

/**
 * Remembers why a delivery's training failed (best effort: the queue retries it anyway), so that
 * its dead letter, if it comes to that, says why.
 */
export async function recordFailure(store: DeadLetterStore, delivery: string, error: unknown, attempts: number): Promise<void> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  try {
    await store.put(failureKey(delivery), JSON.stringify({ error: message.slice(0, 2000), attempts, at: new Date().toISOString() }));
  } catch (e) {
    console.error(`dead letters: could not record the failure of ${delivery}`, e);
  }
}

/** Forgets a failure once the delivery was trained on after all. */
export async function clearFailure(store: DeadLetterStore, delivery: string): Promise<void> {
  await store.delete(failureKey(delivery)).catch(() => {});
}

/**
 * Stores a message the dead-letter queue handed over as `deadletters/<delivery>.json`, with the
 * last recorded error; a body that is not a training message is kept too, under a generated name.
 *
 * @example
 * for (const m of batch.messages) await storeDeadLetter(env.MODELS, m.body);
 */
export async function storeDeadLetter(store: DeadLetterStore, body: unknown): Promise<string> {
  let message: TrainingMessage;
  try {
    message = parseTrainingMessage(body);
  } catch (e) {
    const key = `${DEAD_LETTER_PREFIX}malformed/${crypto.randomUUID()}.json`;
    await store.put(key, JSON.stringify({ error: (e as Error).message, body: safeJson(body) }));
    return key;
  }
  const failure = await store.get(failureKey(message.delivery));
  const last = failure ? (JSON.parse(await failure.text()) as { error: string; attempts: number }) : null;
  const n = message.records.length / RECORD_BYTES;
  const letter: DeadLetter = {
    delivery: message.delivery, model: message.model, source: message.source, receivedAt: message.receivedAt,
    deadAt: new Date().toISOString(), lastError: last?.error ?? null, attempts: last?.attempts ?? null,
    examples: n, labels: Array.from({ length: n }, (_, i) => message.records[i * RECORD_BYTES]), records: toBase64(message.records),
  };
  const key = deadLetterKey(message.delivery);
  await store.put(key, JSON.stringify(letter, null, 1), {
    httpMetadata: { contentType: 'application/json' },
    customMetadata: { model: letter.model, examples: String(n), deadAt: letter.deadAt, lastError: (letter.lastError ?? '').slice(0, 500) },
  });
  if (failure) await clearFailure(store, message.delivery);
  return key;
}

/** One page of dead letters (100 at most), oldest key first, and the cursor of the next page. */
export async function listDeadLetters(store: DeadLetterStore, cursor?: string): Promise<{ deadLetters: DeadLetterSummary[]; cursor: string | null }> {
  const page = await store.list({ prefix: DEAD_LETTER_PREFIX, cursor, limit: 100, include: ['customMetadata'] });
  const deadLetters = page.objects
    .filter((o) => !o.key.startsWith(`${DEAD_LETTER_PREFIX}malformed/`))
    .map((o) => ({
      delivery: o.key.slice(DEAD_LETTER_PREFIX.length, -'.json'.length),
      model: o.customMetadata?.model ?? '',
      examples: Number(o.customMetadata?.examples ?? 0),
      deadAt: o.customMetadata?.deadAt ?? o.uploaded.toISOString(),
      lastError: o.customMetadata?.lastError || null,
    }));
  return { deadLetters, cursor: page.truncated ? (page.cursor ?? null) : null };
}

/** A dead letter back as the training message it was, or null when there is none by that id. */
export async function readDeadLetter(store: DeadLetterStore, delivery: string): Promise<TrainingMessage | null> {
  const obj = await store.get(deadLetterKey(delivery));
  if (!obj) return null;
  const letter = JSON.parse(await obj.text()) as DeadLetter;
  return parseTrainingMessage({ ...letter, records: fromBase64(letter.records) });
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function safeJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}
