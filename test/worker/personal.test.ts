import { env } from 'cloudflare:test';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_LIST_KEY } from '../../src/registry/index.ts';
import { call, callWith, expectError, ORIGIN, predictRequest } from './helpers.ts';
import { appliedDeliveries, manifest, newId, ofDigit, pixelsExample, recordingQueue, resetOnline, signedRequest, trainerOf, waitFor } from './online-helpers.ts';

// Personal models: a delivery naming a model that does not exist, with a base, forks it from the
// base's current version; it has its own trainer object, lineage, gate and validation share;
// /v1/predict?model= answers with it; the base is never touched. Public routes count deliveries,
// the admin's names them.

const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
let clock = Date.now() - 120_000;
const deliver = async (body: Record<string, unknown>, id = newId()) => {
  clock += 1000;
  const res = await call(signedRequest(body, { id, timestamp: new Date(clock) }));
  expect(res.status, await res.clone().text()).toBe(202);
  return id;
};
const predict = async (model?: string) => {
  const res = await call(new Request(`${ORIGIN}/v1/predict${model ? `?model=${model}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: pixelsExample(0).pixels }) }));
  return res;
};
const models = ['writer-a', 'writer-b', 'writer-c'];
const reset = async () => {
  for (const m of ['digits', ...models]) await resetOnline(m);
};

beforeEach(reset);
afterAll(async () => {
  await reset();
  await new Promise((r) => setTimeout(r, 1100));
});

describe('personal models', () => {
  it('a delivery with a base forks the model, which trains on its own; predict, the model list and the admin see it; digits is untouched', async () => {
    const digitsBefore = await manifest('digits');
    const id = await deliver({ model: 'writer-a', base: 'digits', examples: Array.from({ length: 40 }, (_, i) => pixelsExample(1500 + i)) });
    // Forked at once: predict answers with it before any round.
    const first = await predict('writer-a');
    expect(first.status, await first.clone().text()).toBe(200);
    expect(((await first.json()) as { model: unknown }).model).toEqual({ name: 'writer-a', version: 'v1' });

    expect((await waitFor(`${id} to be decided`, async () => (await appliedDeliveries('writer-a')).get(id), 90_000)).outcome).toBe('accepted');
    const m = await manifest('writer-a');
    expect(m.versions.map((v) => [v.version, v.source, v.parent])).toEqual([['v1', 'fork', null], ['v2', 'online', 'v1']]);
    expect(m.versions[0].base).toMatchObject({ model: 'digits', version: expect.stringMatching(/^bundled-/) });
    await waitFor('predict?model=writer-a to answer with v2', async () => ((await (await predict('writer-a')).json()) as { model: { version: string } }).model.version === 'v2', 10_000, 100);
    // The default model is another one, and nothing of it changed.
    expect(((await (await predict()).json()) as { model: { name: string } }).model.name).toBe('digits');
    expect(await manifest('digits')).toEqual(digitsBefore);
    expect((await appliedDeliveries('digits')).size).toBe(0);

    const listed = (await (await call(new Request(`${ORIGIN}/v1/models`))).json()) as { models: Array<{ name: string; version: string; source: string; base?: string }> };
    expect(listed.models.map((x) => [x.name, x.version, x.base ?? null])).toEqual([['digits', expect.stringMatching(/^bundled-/), null], ['writer-a', 'v2', 'digits']]);

    // Public: counts, never the senders' delivery ids. Admin: the ids, and the trainer's state.
    const text = await (await call(new Request(`${ORIGIN}/v1/models/writer-a`))).text();
    expect(text).not.toContain(id);
    const details = JSON.parse(text) as { base: string; decisions: Array<{ deliveries: unknown }>; versions: Array<{ deliveries: unknown }> };
    expect(details.base).toBe('digits');
    expect(details.decisions.map((d) => d.deliveries)).toEqual([1]);
    expect(details.versions.map((v) => v.deliveries)).toEqual([0, 1]);
    await expectError(await call(new Request(`${ORIGIN}/v1/admin/models/writer-a`)), 401, 'unauthorized');
    const admin = (await (await call(new Request(`${ORIGIN}/v1/admin/models/writer-a`, { headers: ADMIN }))).json()) as {
      decisions: Array<{ deliveries: string[] }>; trainer: { applied: number; inbox: { groups: number }; validation: number[] };
    };
    expect(admin.decisions.map((d) => d.deliveries)).toEqual([[id]]);
    expect(admin.trainer).toMatchObject({ applied: 1, inbox: { groups: 0, deliveries: 0 } });
  });

  it('an unknown model without a base stays 422; an unknown base is 422; past MAX_MODELS 409; nothing queued', async () => {
    const send = async (body: Record<string, unknown>, overrides: Record<string, unknown> = {}) => {
      const q = recordingQueue();
      const res = await callWith(signedRequest({ examples: [pixelsExample(0)], ...body }), { TRAINING_QUEUE: q.queue, ...overrides });
      return { res, sent: q.sent };
    };
    const noBase = await send({ model: 'writer-b' });
    expect((await expectError(noBase.res, 422, 'unknown_model')).message).toMatch(/"base": "digits"/);
    expect(noBase.sent).toHaveLength(0);
    const badBase = await send({ model: 'writer-b', base: 'nothing' });
    expect((await expectError(badBase.res, 422, 'unknown_model')).message).toMatch(/base model named 'nothing'/);
    await expectError((await send({ model: 'Writer B', base: 'digits' })).res, 422, 'invalid_delivery');
    // digits counts: with MAX_MODELS 2 there is room for one personal model.
    expect((await send({ model: 'writer-b', base: 'digits' }, { MAX_MODELS: '2' })).res.status).toBe(202);
    const full = await send({ model: 'writer-c', base: 'digits' }, { MAX_MODELS: '2' });
    expect((await expectError(full.res, 409, 'too_many_models')).message).toMatch(/limit of 2 models/);
    expect(full.sent).toHaveLength(0);
    expect(JSON.parse(await (await env.MODELS.get(MODEL_LIST_KEY))!.text()).models.map((x: { name: string }) => x.name)).toEqual(['writer-b']);
    // The existing personal model takes more deliveries, base or not.
    expect((await send({ model: 'writer-b' }, { MAX_MODELS: '2' })).res.status).toBe(202);
  });

  it('predict refuses a model name that cannot be one, and an unknown model, with 422', async () => {
    await expectError(await predict('nobody'), 422, 'unknown_model');
    await expectError(await predict('Bad%20Name'), 422, 'invalid_model_name');
    await expectError(await call(new Request(`${ORIGIN}/v1/predict?model=a&model=b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: pixelsExample(0).pixels }) })), 422, 'invalid_model_name');
    await expectError(await call(new Request(`${ORIGIN}/v1/models/nobody`)), 404, 'unknown_model');
  });

  it('corrections may name a personal model; models train in parallel, each in its own object', async () => {
    await deliver({ model: 'writer-a', base: 'digits', examples: [pixelsExample(1600)] });
    const res = await call(new Request(`${ORIGIN}/v1/feedback`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.77' }, body: JSON.stringify({ ...pixelsExample(1601), model: 'writer-a' }),
    }));
    expect(res.status).toBe(202);
    const correction = ((await res.json()) as { delivery: string }).delivery;
    // Deliveries to both models at once: each trainer decides its own, once.
    const ids = await Promise.all([
      deliver({ model: 'digits', examples: ofDigit(3, 20, 1700).map((i) => pixelsExample(i)) }),
      deliver({ model: 'writer-a', examples: ofDigit(4, 20, 1700).map((i) => pixelsExample(i)) }),
    ]);
    await waitFor('both models to decide', async () => (await appliedDeliveries('digits')).has(ids[0]) && (await appliedDeliveries('writer-a')).has(ids[1]), 90_000, 250);
    await waitFor('the correction to be decided by writer-a', async () => (await appliedDeliveries('writer-a')).has(correction), 60_000, 250);
    expect((await appliedDeliveries('digits')).has(correction)).toBe(false);
    expect((await trainerOf('writer-a').status('writer-a')).applied).toBe(3);
  });
});
