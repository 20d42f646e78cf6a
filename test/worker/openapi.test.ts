import { Validator, type Schema } from '@cfworker/json-schema';
import { env } from 'cloudflare:test';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import digitsOnnx from '../../models/digits.onnx';
import { Network } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { encodeTrainingMessage } from '../../functions/queue/message.ts';
import { storeDeadLetter } from '../../functions/queue/dead-letters.ts';
import { call, callWith, ORIGIN } from './helpers.ts';
import { readFixture } from './mnist-fixture.ts';
import { pixelsExample, recordingQueue, resetOnline, resetToBundled, signedRequest, trainerOf } from './online-helpers.ts';

// Every route's real answers, from the Worker inside workerd with its real bindings (R2, the trainer),
// checked against GET /openapi.json: the status must be one the document lists for that operation,
// and the body must validate against that status' schema (JSON Schema 2020-12, @cfworker/json-schema:
// workerd forbids the code generation Ajv needs). Objects are checked closed: a field the document
// does not name fails. Every documented operation is answered at least once with a 2xx.

const mnist = readFixture(env.MNIST_TEST);
/** The personal model these tests fork from digits. */
const WRITER = 'writer-openapi';
const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });
const post = (path: string, init: { body?: BodyInit; 'content-type'?: string; headers?: Record<string, string> } = {}) =>
  new Request(`${ORIGIN}${path}`, { method: 'POST', body: init.body, headers: { ...(init['content-type'] ? { 'content-type': init['content-type'] } : {}), ...init.headers } });
const get = (path: string, headers: Record<string, string> = {}) => new Request(`${ORIGIN}${path}`, { headers });

/** An MNIST test digit as a 28 x 28 grayscale PNG, white ink on black as MNIST stores it. */
const png = (i: number) => encodePng({ width: 28, height: 28, data: Uint8Array.from(mnist.pixels(i), (v) => Math.round(v * 255)), channels: 1 });
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

interface Document {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

/** Every object that lists its properties, closed (`additionalProperties: false`) unless it says otherwise. */
function closed<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closed) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closed(v)])) as Record<string, unknown>;
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out as T;
}

describe('the answers of every route, against /openapi.json', () => {
  let doc: Document;
  const answered = new Map<string, Set<number>>();

  /** Sends `request` as the operation `method path` and checks the answer against the document. */
  async function exchange(operation: string, request: Request, expected: number, overrides: Record<string, unknown> = {}): Promise<unknown> {
    const [method, path] = operation.split(' ');
    const res = await callWith(request, overrides);
    const text = await res.text();
    expect(res.status, `${operation}: ${text.slice(0, 300)}`).toBe(expected);
    const documented = doc.paths[path]?.[method]?.responses[String(res.status)];
    expect(documented, `${operation} does not document ${res.status}`).toBeDefined();
    const schema = documented!.content?.['application/json']?.schema;
    expect(schema, `${operation} ${res.status} has no JSON schema`).toBeDefined();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text) as unknown;
    const self = JSON.parse(JSON.stringify({ ...schema, $defs: doc.components.schemas }).replaceAll('#/components/schemas/', '#/$defs/')) as Schema;
    const result = new Validator(closed(self), '2020-12', false).validate(body);
    expect(result.valid, `${operation} ${res.status}: ${JSON.stringify(result.errors.slice(-3))}\n${text.slice(0, 300)}`).toBe(true);
    if (!answered.has(operation)) answered.set(operation, new Set());
    answered.get(operation)!.add(res.status);
    return body;
  }

  beforeAll(async () => {
    doc = (await (await call(get('/openapi.json'))).json()) as Document;
  });
  // Every test starts with an empty registry and the bundled model current (and no personal model).
  beforeEach(async () => {
    await resetOnline(WRITER);
    await resetToBundled();
  });
  afterAll(async () => {
    await resetOnline(WRITER);
    await resetOnline();
    await new Promise((r) => setTimeout(r, 1100)); // past MODEL_REFRESH_SECONDS: the next file sees the bundled model
  });

  it('a check that can fail: an undocumented field or a wrong type is caught', async () => {
    const schema = closed({ ...doc.paths['/healthz'].get.responses['200'].content!['application/json'].schema, $defs: {} });
    expect(new Validator(schema, '2020-12').validate({ status: 'ok' }).valid).toBe(true);
    expect(new Validator(schema, '2020-12').validate({ status: 'ok', extra: 1 }).valid).toBe(false);
    expect(new Validator(schema, '2020-12').validate({ status: 'up' }).valid).toBe(false);
  });

  it('health, the document, predictions and their refusals', async () => {
    await exchange('get /healthz', get('/healthz'), 200);
    await exchange('get /openapi.json', get('/openapi.json'), 200);
    await exchange('post /v1/predict', post('/v1/predict', json({ pixels: mnist.pixels(0) })), 200);
    const withInput = (await exchange('post /v1/predict', post('/v1/predict?include=input', { body: png(1), 'content-type': 'image/png' }), 200)) as { input: number[] };
    expect(withInput.input).toHaveLength(784);
    const form = new FormData();
    form.append('image', new File([png(2)], 'two.png', { type: 'image/png' }));
    await exchange('post /v1/predict', new Request(`${ORIGIN}/v1/predict`, { method: 'POST', body: form }), 200);
    await exchange('post /v1/predict', post('/v1/predict', { body: '{"pixels":', 'content-type': 'application/json' }), 400);
    await exchange('post /v1/predict', post('/v1/predict?include=gray', json({ pixels: mnist.pixels(0) })), 400);
    await exchange('post /v1/predict', post('/v1/predict', { body: new Uint8Array(70 * 1024), 'content-type': 'application/json' }), 413);
    await exchange('post /v1/predict', post('/v1/predict', { body: 'x', 'content-type': 'text/plain' }), 415);
    await exchange('post /v1/predict', post('/v1/predict', json({ pixels: mnist.pixels(0).slice(1) })), 422);
  });

  it('models, publishing, promote and rollback, with the registry in R2', async () => {
    await exchange('get /v1/models', get('/v1/models'), 200);
    await exchange('get /v1/models/{name}', get('/v1/models/digits'), 200);
    await exchange('get /v1/models/{name}', get('/v1/models/nope'), 404);
    const bytes = new Uint8Array(digitsOnnx);
    const upload = () => post('/v1/models/digits/versions?note=first&metrics=%7B%22testAccuracy%22%3A0.98%7D', { body: bytes, 'content-type': 'application/octet-stream', headers: ADMIN });
    await exchange('post /v1/models/{name}/versions', upload(), 201);
    await exchange('post /v1/models/{name}/rollback', post('/v1/models/digits/rollback', { headers: ADMIN }), 409);
    await exchange('post /v1/models/{name}/versions', upload(), 201);
    await exchange('post /v1/models/{name}/versions', post('/v1/models/digits/versions', { body: 'no', 'content-type': 'application/octet-stream', headers: ADMIN }), 422);
    await exchange('post /v1/models/{name}/versions', post('/v1/models/digits/versions', { body: bytes, 'content-type': 'text/plain', headers: ADMIN }), 415);
    await exchange('post /v1/models/{name}/rollback', post('/v1/models/digits/rollback', { headers: ADMIN }), 200);
    await exchange('post /v1/models/{name}/promote', post('/v1/models/digits/promote', { ...json({ version: 'v2' }), headers: ADMIN }), 200);
    await exchange('post /v1/models/{name}/promote', post('/v1/models/digits/promote', { ...json({ version: 'v9' }), headers: ADMIN }), 404);
    await exchange('post /v1/models/{name}/promote', post('/v1/models/digits/promote', { ...json({ version: 2 }), headers: ADMIN }), 422);
    await exchange('post /v1/models/{name}/promote', post('/v1/models/digits/promote', json({ version: 'v1' })), 401);
    await exchange('post /v1/models/{name}/promote', post('/v1/models/digits/promote', { ...json({ version: 'v1' }), headers: { authorization: 'Bearer wrong' } }), 403);
    await exchange('post /v1/models/{name}/rollback', post('/v1/models/digits/rollback', { headers: ADMIN }), 503, { ADMIN_TOKEN: undefined });
    // This isolate trusts the manifest it read at the start for MODEL_REFRESH_SECONDS (1 s here).
    await new Promise((r) => setTimeout(r, 1100));
    const details = (await exchange('get /v1/models/{name}', get('/v1/models/digits'), 200)) as { current: string; versions: unknown[]; events: unknown[] };
    expect(details.current).toBe('v2');
    expect(details.versions).toHaveLength(2);
    expect(details.events).toHaveLength(4);
    await exchange('get /v1/models', get('/v1/models'), 200);
  });

  it('the webhook, feedback and dead letters (queued on a recording queue: no training round runs)', async () => {
    const q = recordingQueue();
    const delivery = { examples: [pixelsExample(0), { label: 3, image: base64(png(18)) }] };
    await exchange('post /v1/webhooks/training', signedRequest(delivery), 202, { TRAINING_QUEUE: q.queue });
    await exchange('post /v1/webhooks/training', signedRequest(delivery, { secret: 'whsec_b3RoZXItc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aA==' }), 401);
    await exchange('post /v1/webhooks/training', signedRequest({ examples: [{ label: 12, pixels: [] }] }), 422);
    await exchange('post /v1/webhooks/training', signedRequest(null, { raw: 'x', headers: { 'content-type': 'text/plain' } }), 415);
    await exchange('post /v1/webhooks/training', signedRequest(null, { raw: '{"examples":' }), 400);
    await exchange('post /v1/webhooks/training', signedRequest(delivery), 503, { WEBHOOK_SECRET: undefined });

    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: mnist.pixels(3), label: mnist.labels[3] })), 202, { TRAINING_QUEUE: q.queue });
    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: mnist.pixels(3), label: 10 })), 422);
    await exchange('post /v1/feedback', post('/v1/feedback', { body: '{}', 'content-type': 'text/plain' }), 415);
    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: [], label: 1 })), 503, { FEEDBACK_ENABLED: 'false' });
    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: [], label: 1 })), 429, { FEEDBACK_LIMITER: { limit: async () => ({ success: false }) } });
    expect(q.sent).toHaveLength(2);

    // The webhook's delivery as the dead-letter queue would hand it over, then replayed.
    await storeDeadLetter(env.MODELS, encodeTrainingMessage(q.sent[0]));
    const listed = (await exchange('get /v1/admin/deadletters', get('/v1/admin/deadletters', ADMIN), 200)) as { deadLetters: Array<{ delivery: string }> };
    expect(listed.deadLetters.map((d) => d.delivery)).toEqual([q.sent[0].delivery]);
    await exchange('get /v1/admin/deadletters', get('/v1/admin/deadletters'), 401);
    await exchange('post /v1/admin/deadletters/{id}/replay', post(`/v1/admin/deadletters/${q.sent[0].delivery}/replay`, { headers: ADMIN }), 202, { TRAINING_QUEUE: q.queue });
    await exchange('post /v1/admin/deadletters/{id}/replay', post('/v1/admin/deadletters/msg_none/replay', { headers: ADMIN }), 404);
  });

  it('personal models, the admin\'s view of a model with its trainer\'s rounds, an upload stored but not made current', async () => {
    const q = recordingQueue();
    // A delivery naming a model that does not exist, with a base, forks it at once (queued on the recording queue).
    await exchange('post /v1/webhooks/training', signedRequest({ model: WRITER, base: 'digits', examples: Array.from({ length: 20 }, (_, i) => pixelsExample(100 + i)) }), 202, { TRAINING_QUEUE: q.queue });
    await exchange('post /v1/webhooks/training', signedRequest({ model: 'nobody', examples: [pixelsExample(1)] }), 422);
    await exchange('post /v1/webhooks/training', signedRequest({ model: 'another-writer', base: 'digits', examples: [pixelsExample(1)] }), 409, { MAX_MODELS: '2' });
    const models = (await exchange('get /v1/models', get('/v1/models'), 200)) as { models: Array<{ name: string; source: string; base?: string }> };
    expect(models.models.map((m) => [m.name, m.source, m.base ?? null])).toEqual([['digits', 'bundled', null], [WRITER, 'fork', 'digits']]);
    const answer = (await exchange('post /v1/predict', post(`/v1/predict?model=${WRITER}`, json({ pixels: mnist.pixels(0) })), 200)) as { model: unknown };
    expect(answer.model).toEqual({ name: WRITER, version: 'v1' });
    await exchange('post /v1/predict', post('/v1/predict?model=nobody', json({ pixels: mnist.pixels(0) })), 422);
    await exchange('post /v1/predict', post('/v1/predict?model=Not%20a%20name', json({ pixels: mnist.pixels(0) })), 422);
    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: mnist.pixels(3), label: mnist.labels[3], model: WRITER })), 202, { TRAINING_QUEUE: q.queue });
    await exchange('post /v1/feedback', post('/v1/feedback', json({ pixels: mnist.pixels(3), label: mnist.labels[3], model: 'nobody' })), 422);
    expect(q.sent.map((m) => [m.model, m.source])).toEqual([[WRITER, 'webhook'], [WRITER, 'feedback']]);

    // The webhook's delivery decided by the personal model's trainer: the public route counts the
    // deliveries of each decision, the admin's names them and adds the trainer's rounds.
    const report = await trainerOf(WRITER).train([q.sent[0]]);
    expect(report.applied.map((a) => a.delivery)).toEqual([q.sent[0].delivery]);
    // The public route trusts a manifest it read for MODEL_REFRESH_SECONDS; read this one afresh.
    const details = (await exchange('get /v1/models/{name}', get(`/v1/models/${WRITER}`), 200, { MODEL_REFRESH_SECONDS: '0' })) as { base: string; decisions: Array<{ deliveries: unknown }> };
    expect(details.base).toBe('digits');
    expect(details.decisions.map((d) => d.deliveries)).toEqual([1]);
    const admin = (await exchange('get /v1/admin/models/{name}', get(`/v1/admin/models/${WRITER}`, ADMIN), 200)) as {
      decisions: Array<{ deliveries: unknown }>; trainer: { rounds: Array<{ deliveries: string[] }>; inbox: unknown };
    };
    expect(admin.decisions.map((d) => d.deliveries)).toEqual([[q.sent[0].delivery]]);
    expect(admin.trainer.rounds.map((r) => r.deliveries)).toEqual([[q.sent[0].delivery]]);
    await exchange('get /v1/admin/models/{name}', get('/v1/admin/models/digits', ADMIN), 200);
    await exchange('get /v1/admin/models/{name}', get(`/v1/admin/models/${WRITER}`), 401);
    await exchange('get /v1/admin/models/{name}', get('/v1/admin/models/nobody', ADMIN), 404);

    // An untrained network is significantly worse on the anchor holdout: stored, not current; forced, current.
    const untrained = await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed: 2 }));
    const upload = (query = '') => post(`/v1/models/digits/versions${query}`, { body: untrained, 'content-type': 'application/octet-stream', headers: ADMIN });
    const stored = (await exchange('post /v1/models/{name}/versions', upload(), 201)) as { current: string; promoted: boolean; gate: { accepted: boolean } };
    expect(stored).toMatchObject({ current: expect.stringMatching(/^bundled-/), promoted: false, gate: { accepted: false } });
    await exchange('post /v1/models/{name}/versions', upload('?force=maybe'), 422);
    expect(await exchange('post /v1/models/{name}/versions', upload('?force=true'), 201)).toMatchObject({ current: 'v2', promoted: true });
  });

  it('the Open Inference Protocol: server, models, versions, batched and image inference, refusals', async () => {
    for (const path of ['/v2', '/v2/health/live', '/v2/health/ready']) await exchange(`get ${path}`, get(path), 200);
    const meta = (await exchange('get /v2/models/{name}', get('/v2/models/digits'), 200)) as { versions: string[] };
    const version = meta.versions[0];
    await exchange('get /v2/models/{name}/versions/{version}', get(`/v2/models/digits/versions/${version}`), 200);
    await exchange('get /v2/models/{name}/versions/{version}', get('/v2/models/digits/versions/v99'), 404);
    await exchange('get /v2/models/{name}', get('/v2/models/nope'), 404);
    await exchange('get /v2/models/{name}/ready', get('/v2/models/digits/ready'), 200);
    await exchange('get /v2/models/{name}/versions/{version}/ready', get(`/v2/models/digits/versions/${version}/ready`), 200);
    await exchange('get /v2/models/{name}/versions/{version}/ready', get('/v2/models/nope/versions/v1/ready'), 404);

    const fp32 = { inputs: [{ name: 'input', shape: [2, 1, 28, 28], datatype: 'FP32', data: [...mnist.pixels(0), ...mnist.pixels(1)] }] };
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', json({ id: 'a', ...fp32 })), 200);
    await exchange('post /v2/models/{name}/versions/{version}/infer', post(`/v2/models/digits/versions/${version}/infer`, json(fp32)), 200);
    const images = { inputs: [{ name: 'input', shape: [2], datatype: 'BYTES', data: [base64(png(0)), base64(png(1))] }], outputs: [{ name: 'output', parameters: { classification: 2 } }] };
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', json(images)), 200);
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', json({ inputs: [{ ...fp32.inputs[0], shape: [2, 784] }] })), 400);
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', { body: '{', 'content-type': 'application/json' }), 400);
    await exchange('post /v2/models/{name}/infer', post('/v2/models/nope/infer', json(fp32)), 404);
    await exchange('post /v2/models/{name}/versions/{version}/infer', post('/v2/models/digits/versions/v99/infer', json(fp32)), 404);
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', { body: new Uint8Array(5 * 1024 * 1024), 'content-type': 'application/json' }), 413);
    await exchange('post /v2/models/{name}/infer', post('/v2/models/digits/infer', { body: '{}', 'content-type': 'text/plain' }), 415);
  });

  it('answered every documented operation at least once with a 2xx', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    const missing = operations.filter((op) => ![...(answered.get(op) ?? [])].some((s) => s >= 200 && s < 300));
    expect(missing).toEqual([]);
    expect(operations).toHaveLength(22);
  });
});
