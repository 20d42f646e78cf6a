import { env, runInDurableObject } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import type { ModelTrainer } from '../../functions/trainer/object.ts';
import { parseTrainingMessage, type TrainingMessage } from '../../functions/queue/message.ts';
import { ModelRegistry, type Manifest } from '../../src/registry/index.ts';
import { call, ORIGIN } from './helpers.ts';
import { readFixture, type MnistFixture } from './mnist-fixture.ts';

/** MNIST training digits the bundled model has not rehearsed (vitest.config.ts MNIST_TRAIN). */
export const mnistTrain: MnistFixture = readFixture(env.MNIST_TRAIN);

/** An example of the webhook body from training image i (optionally mislabelled). */
export const pixelsExample = (i: number, label = mnistTrain.labels[i]) => ({ label, pixels: mnistTrain.pixels(i) });

/** Indices of training images of one digit, from `from` on. */
export function ofDigit(digit: number, n: number, from = 0): number[] {
  const out: number[] = [];
  for (let i = from; out.length < n && i < mnistTrain.n; i++) if (mnistTrain.labels[i] === digit) out.push(i);
  return out;
}

let ids = 0;
/** A fresh delivery id. */
export const newId = (prefix = 'msg') => `${prefix}_${Date.now().toString(36)}_${(++ids).toString(36)}`;

/**
 * A webhook request signed by the `standardwebhooks` library itself (the independent signer), as a
 * sender would make it; `secret`, `timestamp` and `signature` let a test get it wrong on purpose.
 */
export function signedRequest(
  body: unknown,
  o: { id?: string; secret?: string; timestamp?: Date; signature?: string; headers?: Record<string, string>; raw?: string } = {},
): Request {
  const payload = o.raw ?? JSON.stringify(body);
  const id = o.id ?? newId();
  const timestamp = o.timestamp ?? new Date();
  const signature = o.signature ?? new Webhook(o.secret ?? env.WEBHOOK_SECRET).sign(id, timestamp, payload);
  return new Request(`${ORIGIN}/v1/webhooks/training`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
      ...o.headers,
    },
    body: payload,
  });
}

/** The trainer object of a model, as the queue consumer reaches it. */
export function trainerOf(model = 'digits'): DurableObjectStub<ModelTrainer> {
  const ns = env.TRAINER as unknown as DurableObjectNamespace<ModelTrainer>;
  return ns.get(ns.idFromName(model));
}

export const registry = (name = 'digits') => new ModelRegistry(env.MODELS, name);
export const manifest = async (name = 'digits'): Promise<Manifest> => (await registry(name).read()).manifest;

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every delivery id the trainer recorded as applied, with its record. */
export async function appliedDeliveries(model = 'digits'): Promise<Map<string, { outcome: string; version: string | null }>> {
  return runInDurableObject(trainerOf(model), async (_instance, state) => {
    const listed = await state.storage.list<{ outcome: string; version: string | null }>({ prefix: 'applied:' });
    return new Map([...listed].map(([k, v]) => [k.slice('applied:'.length), v]));
  });
}

/** Empties the registry (its list of models too), the dead letters and the trainer's storage: each test starts from the bundled model. */
export async function resetOnline(model = 'digits'): Promise<void> {
  for (const prefix of [`models/${model}/`, 'deadletters/', 'training-failures/', 'registry/']) {
    for (;;) {
      const listed = await env.MODELS.list({ prefix });
      if (!listed.objects.length) break;
      await env.MODELS.delete(listed.objects.map((o) => o.key));
    }
  }
  await runInDurableObject(trainerOf(model), async (_instance, state) => {
    await state.storage.deleteAlarm();
    await state.storage.deleteAll();
  });
}

/**
 * resetOnline, then waits until this isolate's Worker serves the bundled model again: it trusts a
 * manifest it read for MODEL_REFRESH_SECONDS (1 s in these tests), so versions published a moment
 * ago may still be current there. Returns at once when its manifest is already the empty one.
 */
export async function resetToBundled(model = 'digits'): Promise<void> {
  await resetOnline(model);
  await waitFor(`the Worker to serve the bundled '${model}' again`, async () => {
    const details = (await (await call(new Request(`${ORIGIN}/v1/models/${model}`))).json()) as { current: string; versions: unknown[] };
    return details.current.startsWith('bundled-') && details.versions.length === 1;
  }, 5_000, 100);
}

/** A stand-in for TRAINING_QUEUE that keeps what it is sent (decoded), to prove what was or was not queued. */
export function recordingQueue(): { queue: { send(body: Uint8Array, options: { contentType: 'bytes' }): Promise<void> }; sent: TrainingMessage[] } {
  const sent: TrainingMessage[] = [];
  return {
    sent,
    queue: {
      async send(body, options) {
        if (options?.contentType !== 'bytes') throw new Error('training messages go on the queue as bytes');
        sent.push(parseTrainingMessage(body));
      },
    },
  };
}
