import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Network } from '../../src/nn/network.ts';
import { packExamples, toBytes } from '../../src/online/example.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { emptyManifest, manifestKey, ModelRegistry, versionKey, type Manifest } from '../../src/registry/index.ts';
import { sha256Hex } from '../../src/util/sha256.ts';
import { callWith, expectError, ORIGIN, predictRequest } from './helpers.ts';
import { faultyBucket, type FaultPlan } from './faulty-bucket.ts';
import { appliedDeliveries, manifest, newId, pixelsExample, registry, resetOnline, trainerOf } from './online-helpers.ts';

// Faults injected into the real R2 binding (faulty-bucket.ts), under the real routes, registry and
// trainer: a put that fails while a version is being published (before writing, torn, or written
// with its acknowledgement lost), reads that fail, and corrupted objects. The version being served
// stays intact and served; a delivery is applied once whatever failed in the middle of its round.
// (The consumer retrying a failing batch into the dead letters, and the trainer object evicted
// mid-round, are online.test.ts's.)

const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
/** A model the admin route accepts (784 -> 10, loads in onnxruntime, imports into the core), different per seed. */
const model = (seed: number) => exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed }));
/** An admin upload, forced: these untrained models are worse than the bundled one, and the faults, not the gate, are under test. */
const publish = (bytes: Uint8Array, bucket: R2Bucket = env.MODELS) =>
  callWith(new Request(`${ORIGIN}/v1/models/digits/versions?force=true`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/octet-stream' }, body: bytes }), { MODELS: bucket });
/** The version /v1/predict answers with, reading the manifest afresh (and through `bucket`). */
const served = async (bucket: R2Bucket = env.MODELS) => {
  const res = await callWith(predictRequest({ pixels: pixelsExample(0).pixels }), { MODELS: bucket, MODEL_REFRESH_SECONDS: '0' });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { model: { version: string } }).model.version;
};
const objects = async () => (await env.MODELS.list({ prefix: 'models/digits/' })).objects.map((o) => o.key).sort();
/** The trainer object writing through `bucket` (its own binding wrapped), until it is evicted. */
const trainerWith = (bucket: R2Bucket) =>
  runInDurableObject(trainerOf(), (instance) => {
    const o = instance as unknown as { env: Cloudflare.Env; learner: unknown };
    o.env = { ...o.env, MODELS: bucket };
    o.learner = null;
  });
/** Every version in the manifest reads back with its recorded sha256. */
const intact = async (m: Manifest) => {
  for (const v of m.versions) await registry().load(v);
};
const once = (fault: ReturnType<NonNullable<FaultPlan['put']>>, when: (key: string, text: string) => boolean): FaultPlan['put'] => {
  let fired = false;
  return (key, text) => {
    if (fired || !when(key, text)) return undefined;
    fired = true;
    return fault;
  };
};

beforeEach(() => resetOnline());
afterAll(async () => {
  await abortAllDurableObjects(); // no trainer left holding a faulty bucket for the next file
  await resetOnline();
  await new Promise((r) => setTimeout(r, 1100)); // past MODEL_REFRESH_SECONDS: later files see the bundled model
});

describe('R2 fails while an admin publishes a version: the current version stays intact and served', () => {
  const cases: Array<[string, FaultPlan['put'], { status: number; code?: string; orphan: boolean; retried: string }]> = [
    ['the put of the new version object throws', once('throw', (k) => k === versionKey('digits', 'v2')), { status: 500, orphan: false, retried: 'v2' }],
    ['the new version object is torn (half written, success reported)', once('torn', (k) => k === versionKey('digits', 'v2')), { status: 409, code: 'corrupt', orphan: true, retried: 'v3' }],
    ['the manifest put throws after the version object was written', once('throw', (k) => k === manifestKey('digits')), { status: 500, orphan: true, retried: 'v3' }],
  ];
  it.each(cases)('%s', async (_name, put, expected) => {
    expect((await publish(await model(1))).status).toBe(201);
    expect(await served()).toBe('v1');
    const before = await manifest();

    const { bucket, injected } = faultyBucket(env.MODELS, { put });
    const res = await publish(await model(2), bucket);
    expect(injected).toHaveLength(1);
    const e = await expectError(res, expected.status, expected.code ?? 'internal_error');
    expect(e.message).not.toMatch(/injected|R2|\.ts|at /); // no internals in the answer
    // Nothing changed that anyone reads: the manifest, its current version's bytes, what predict serves.
    expect(await manifest()).toEqual(before);
    await intact(await manifest());
    expect(await served()).toBe('v1');
    // An orphan object may stay behind, never named by the manifest; the next publish moves past it.
    expect((await objects()).includes(versionKey('digits', 'v2'))).toBe(expected.orphan);
    const retry = await publish(await model(2));
    expect(retry.status, await retry.clone().text()).toBe(201);
    const after = await manifest();
    expect(after.versions.map((v) => v.version)).toEqual(['v1', expected.retried]);
    expect(after.current).toBe(expected.retried);
    await intact(after);
    expect(await served()).toBe(expected.retried);
  });

  it('the manifest put is written but its acknowledgement lost: the new version is current and intact, nothing half-done', async () => {
    expect((await publish(await model(1))).status).toBe(201);
    const { bucket, injected } = faultyBucket(env.MODELS, { put: once('lost-ack', (k) => k === manifestKey('digits')) });
    await expectError(await publish(await model(2), bucket), 500, 'internal_error');
    expect(injected).toEqual([`lost-ack put ${manifestKey('digits')}`]);
    const m = await manifest();
    expect(m.versions.map((v) => v.version)).toEqual(['v1', 'v2']);
    await intact(m);
    expect(await served()).toBe('v2');
  });
});

describe('R2 fails in the middle of a training round: the served version is untouched, the delivery applied once', () => {
  /** One delivery of 20 correctly labelled digits, as the queue hands it to the trainer. */
  const delivery = (id: string) => [{
    delivery: id, model: 'digits', source: 'webhook' as const, receivedAt: new Date().toISOString(),
    records: packExamples(Array.from({ length: 20 }, (_, k) => ({ label: pixelsExample(1200 + k).label, pixels: toBytes(pixelsExample(1200 + k).pixels) }))),
  }];
  /** Rounds (gate decisions) and versions that name a delivery: one round at most, and one version at most. */
  const named = (m: Manifest, id: string) => ({
    rounds: m.decisions.filter((d) => d.deliveries.includes(id)).length,
    versions: m.versions.filter((v) => v.deliveries.includes(id)).length,
  });

  it.each([
    ['throws before writing', 'throw' as const, false],
    ['is written, but its acknowledgement is lost', 'lost-ack' as const, true],
  ])('the manifest update naming the delivery %s; the retried round applies it once', async (_name, fault, written) => {
    // A first round, so that an online version is being served.
    await trainerOf().train(delivery('msg_first'));
    const before = await manifest();
    const current = before.current!;
    expect(await served()).toBe(current);

    const id = newId('fault');
    const { bucket, injected } = faultyBucket(env.MODELS, { put: once(fault, (k, text) => k === manifestKey('digits') && text.includes(id)) });
    await trainerWith(bucket);
    // (The stub's promise is taken with then(): a rejection through RPC must be handled right there.)
    const outcome = await trainerOf().train(delivery(id)).then(() => 'finished', (e: Error) => e.message);
    expect(outcome).toMatch(/injected fault/);
    expect(injected).toEqual([`${fault} put ${manifestKey('digits')}`]);
    expect((await appliedDeliveries()).has(id)).toBe(false); // the round did not get as far as recording it
    const between = await manifest();
    expect(named(between, id).rounds).toBe(written ? 1 : 0);
    await intact(between);
    if (!written) expect(between).toEqual(before);

    // The queue retries the batch; the object restarts with its real binding.
    await abortAllDurableObjects();
    const report = await trainerOf().train(delivery(id));
    expect(report.applied.length + report.duplicates.length).toBe(1);
    const after = await manifest();
    expect(named(after, id).rounds).toBe(1);
    expect(named(after, id).versions).toBeLessThanOrEqual(1);
    expect((await appliedDeliveries()).get(id)).toMatchObject({ examples: 20 });
    if (written) {
      // Recognised from the manifest: no second round, no second version.
      expect(report.duplicates).toEqual([id]);
      expect(after.versions).toEqual(between.versions);
    }
    await intact(after);
    expect(await served()).toBe(after.current);
  });
});

describe('retention under R2 faults: what is served stays intact, a pass cut short is finished by the next', () => {
  const DAY = 24 * 3600 * 1000;
  /** v1 offline 60 days ago, v2-v5 online 50-47 days ago, v6 online yesterday (current, parent v5). */
  const oldHistory = async () => {
    const at = (days: number) => registryAt(Date.now() - days * DAY);
    await at(60).publish(await model(20), { source: 'offline' });
    for (let k = 2; k <= 5; k++) await at(52 - k).publish(await model(20 + k), { source: 'online' });
    await at(1).publish(await model(26), { source: 'online' });
    await runInDurableObject(trainerOf(), async (_i, state) => {
      await state.storage.put('model', 'digits');
      // Two decided deliveries: one past the 7-day replay window, one within it.
      await state.storage.put({ 'applied:old': { outcome: 'accepted', version: 'v2', at: new Date(Date.now() - 8 * DAY).toISOString(), examples: 1 } });
      await state.storage.put({ 'applied:new': { outcome: 'accepted', version: 'v6', at: new Date().toISOString(), examples: 1 } });
    });
  };
  const registryAt = (ms: number) => new ModelRegistry(env.MODELS, 'digits', { now: () => new Date(ms) });
  const retain = () => trainerOf().retain().then((r) => r, (e: Error) => e);
  const versionObjects = async () => (await objects()).filter((k) => k.endsWith('.onnx'));

  it.each([
    ['the manifest put throws', { put: once('throw', (k) => k === manifestKey('digits')) }, false],
    ['the manifest put is written but its acknowledgement lost', { put: once('lost-ack', (k) => k === manifestKey('digits')) }, true],
    ['the second delete throws', { delete: (() => { let n = 0; return () => (++n === 2 ? 'throw' as const : undefined); })() }, true],
  ] as Array<[string, FaultPlan, boolean]>)('%s', async (_name, plan, retiredFirst) => {
    await oldHistory();
    const before = await manifest();
    const { bucket, injected } = faultyBucket(env.MODELS, plan);
    await trainerWith(bucket);
    const failed = await retain();
    expect(failed).toBeInstanceOf(Error);
    expect(injected).toHaveLength(1);
    const between = await manifest();
    // The served version and its parent are untouched; the manifest never names a deleted object.
    expect(between.current).toBe('v6');
    await intact(between);
    expect(await served()).toBe('v6');
    if (!retiredFirst) expect(between).toEqual(before);
    else expect(between.versions.map((v) => v.version)).toEqual(['v1', 'v5', 'v6']);

    // The next pass, with R2 healthy again, finishes: v2-v4 retired and deleted; v1 (offline), v5 (the parent) and v6 kept.
    await abortAllDurableObjects();
    const report = await trainerOf().retain();
    const after = await manifest();
    expect(after.versions.map((v) => v.version)).toEqual(['v1', 'v5', 'v6']);
    expect(after.retired).toEqual({ below: 6, kept: ['v5'] });
    expect(await versionObjects()).toEqual(['v1', 'v5', 'v6'].map((v) => versionKey('digits', v)));
    await intact(after);
    expect(await served()).toBe('v6');
    expect(report.forgotten).toBeLessThanOrEqual(1);
    const applied = await appliedDeliveries();
    expect([...applied.keys()]).toEqual(['new']);
    // Rollback reaches the kept parent; the retired ones answer 404 saying why.
    await expectError(await callWith(new Request(`${ORIGIN}/v1/models/digits/promote`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: '{"version":"v3"}' }), {}), 404, 'not_found');
    const rolled = await callWith(new Request(`${ORIGIN}/v1/models/digits/rollback`, { method: 'POST', headers: ADMIN }), {});
    expect(rolled.status, await rolled.clone().text()).toBe(200);
    expect((await manifest()).current).toBe('v5');
  });
});

describe('reads that fail, and corrupted objects, through the Worker\'s predict route', () => {
  it('R2 reads failing: predictions keep answering with the version last served', async () => {
    expect((await publish(await model(3))).status).toBe(201);
    expect(await served()).toBe('v1');
    const { bucket, injected } = faultyBucket(env.MODELS, { get: () => 'throw' });
    for (let k = 0; k < 3; k++) expect(await served(bucket)).toBe('v1');
    expect(injected.length).toBeGreaterThanOrEqual(3);
  });

  it('never serves bytes that do not match their sha256, a missing object, or a manifest sha256 that is wrong: the nearest intact ancestor answers', async () => {
    // Versions numbered far from any other test's, so that no isolate has them cached.
    const n = 900 + Math.floor(Math.random() * 90) * 10;
    const [good, a, b] = await Promise.all([model(11), model(12), model(13)]);
    const entry = async (k: number, bytes: Uint8Array, parent: number | null, sha?: string) => ({
      version: `v${k}`, key: versionKey('digits', `v${k}`), sha256: sha ?? (await sha256Hex([bytes])), bytes: bytes.length,
      parent: parent === null ? null : `v${parent}`, source: 'offline' as const, createdAt: new Date().toISOString(), metrics: {}, deliveries: [],
    });
    await env.MODELS.put(versionKey('digits', `v${n}`), good);
    await env.MODELS.put(versionKey('digits', `v${n + 1}`), new TextEncoder().encode('not an onnx model at all, yet named by the manifest')); // bad bytes
    await env.MODELS.put(versionKey('digits', `v${n + 2}`), b); // intact bytes, but the manifest's sha256 is another's
    // v(n+3): no object at all.
    const versions = [
      await entry(n, good, null),
      await entry(n + 1, a, n),
      await entry(n + 2, b, n + 1, await sha256Hex([a])),
      await entry(n + 3, a, n + 2),
    ];
    for (const current of [n + 1, n + 2, n + 3]) {
      const m: Manifest = { ...emptyManifest('digits'), current: `v${current}`, versions: versions.slice(0, current - n + 1) };
      await env.MODELS.put(manifestKey('digits'), JSON.stringify(m));
      expect(await served()).toBe(`v${n}`);
    }
    // The intact ancestor itself is served as soon as it is current.
    await env.MODELS.put(manifestKey('digits'), JSON.stringify({ name: 'digits', current: `v${n}`, versions: versions.slice(0, 1), decisions: [], events: [] }));
    expect(await served()).toBe(`v${n}`);
  });
});
