/**
 * A client of the Worker's public and admin routes for the scripts that measure it, over the typed
 * client (client/index.ts): signed webhook deliveries (the `standardwebhooks` library signs them, as a
 * sender's would), predictions, and the admin's view of a model's decisions.
 */
import { Webhook } from 'standardwebhooks';
import { createClient, type Client, type InferRequestType, type InferResponseType } from '../../client/index.ts';

export interface WorkerClient {
  url: string;
  webhookSecret: string;
  adminToken: string;
}

/** The body of POST /v1/webhooks/training, as the API declares it. */
export type Delivery = InferRequestType<Client['v1']['webhooks']['training']['$post']>['json'];

const clients = new Map<string, Client>();
const api = (w: WorkerClient): Client => {
  let client = clients.get(w.url);
  if (!client) clients.set(w.url, (client = createClient(w.url)));
  return client;
};

/** Sends one signed delivery; returns its id. Throws unless the Worker answers 202. */
export async function deliver(w: WorkerClient, body: Delivery, id = `msg_${crypto.randomUUID()}`): Promise<string> {
  // The signature covers these exact bytes, so they are what is sent (`init.body`).
  const payload = JSON.stringify(body);
  const now = new Date();
  const res = await api(w).v1.webhooks.training.$post({ json: body }, {
    headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(w.webhookSecret).sign(id, now, payload) },
    init: { body: payload },
  });
  if (res.status !== 202) throw new Error(`delivery ${id}: ${res.status} ${await res.text()}`);
  return id;
}

/** The digit a model gives a PNG (`model` undefined: the default one), and the version that answered. */
export async function predictPng(w: WorkerClient, png: Uint8Array, model?: string): Promise<{ digit: number; version: string }> {
  const res = await api(w).v1.predict.$post({ query: model ? { model } : {} }, { headers: { 'content-type': 'image/png' }, init: { body: new Uint8Array(png) } });
  if (res.status !== 200) throw new Error(`predict${model ? ` with ${model}` : ''}: ${res.status} ${await res.text()}`);
  const answer = await res.json();
  return { digit: answer.digit, version: answer.model.version };
}

/** Accuracy of a model on labelled PNGs through /v1/predict, `concurrency` requests at a time; the versions that answered. */
export async function accuracyOf(w: WorkerClient, set: ReadonlyArray<{ label: number; png: Uint8Array }>, model?: string, concurrency = 4): Promise<{ accuracy: number; versions: Set<string> }> {
  let right = 0;
  let next = 0;
  const versions = new Set<string>();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < set.length) {
      const d = set[next++];
      const answer = await predictPng(w, d.png, model);
      versions.add(answer.version);
      if (answer.digit === d.label) right++;
    }
  }));
  return { accuracy: right / set.length, versions };
}

/** A delivery's final decision, as the admin route shows the model's gate decisions. */
export interface Decided {
  outcome: 'accepted' | 'rejected';
  reason: string;
  version: string | null;
  at: string;
}

/** The admin's view of a model: decisions with their deliveries' ids, the trainer's state. */
export type AdminModel = InferResponseType<Client['v1']['admin']['models'][':name']['$get'], 200>;

/** The admin's view of a model (GET /v1/admin/models/:name): decisions with their deliveries' ids. */
export async function adminModel(w: WorkerClient, model: string): Promise<AdminModel> {
  const res = await api(w).v1.admin.models[':name'].$get({ param: { name: model } }, { headers: { authorization: `Bearer ${w.adminToken}` } });
  if (res.status !== 200) throw new Error(`GET /v1/admin/models/${model}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Every final decision of a model's deliveries (split rounds decide nothing), by delivery id. */
export async function decisionsOf(w: WorkerClient, model: string): Promise<Map<string, Decided>> {
  const out = new Map<string, Decided>();
  for (const d of (await adminModel(w, model)).decisions) {
    if (d.split) continue;
    for (const id of d.deliveries) out.set(id, { outcome: d.accepted ? 'accepted' : 'rejected', reason: d.reason, version: d.candidate, at: d.at });
  }
  return out;
}

/** Polls until every one of `ids` is decided, or throws after `timeoutMs`. */
export async function waitForDecisions(w: WorkerClient, model: string, ids: readonly string[], timeoutMs: number): Promise<Map<string, Decided>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const decided = await decisionsOf(w, model);
    if (ids.every((id) => decided.has(id))) return decided;
    if (Date.now() > until) throw new Error(`${ids.filter((id) => !decided.has(id)).length} of ${ids.length} deliveries to ${model} undecided after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls until /v1/predict?model= answers with `version`; the time it took. */
export async function waitForServed(w: WorkerClient, model: string, version: string, probe: Uint8Array, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await predictPng(w, probe, model)).version === version) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${model} did not serve ${version} within ${timeoutMs / 1000} s`);
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
