import { abortAllDurableObjects, env, SELF } from 'cloudflare:test';
import digitsOnnx from '../../models/digits.onnx';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { packExamples, toBytes } from '../../src/online/example.ts';
import { call, expectError, ORIGIN, predictRequest } from './helpers.ts';
import {
  appliedDeliveries, manifest, newId, ofDigit, pixelsExample, resetOnline, signedRequest, trainerOf, waitFor,
} from './online-helpers.ts';

// The whole loop inside workerd, with its local Queues, Durable Objects and R2: the signed webhook
// queues a delivery, the Worker's queue consumer hands batches to the model's trainer (a Durable
// Object), the holdout gate decides, predicting isolates serve what it published.

const ADMIN = () => ({ authorization: `Bearer ${env.ADMIN_TOKEN}` });
// Each attempt is signed at its own second, as a sender signs each try anew.
let attemptClock = Date.now() - 120_000;
const deliver = async (examples: unknown[], id = newId()) => {
  attemptClock += 1000;
  const res = await call(signedRequest({ examples }, { id, timestamp: new Date(attemptClock) }));
  expect(res.status, await res.clone().text()).toBe(202);
  return id;
};
const appliedTo = (id: string) => waitFor(`delivery ${id} to be applied`, async () => (await appliedDeliveries()).get(id), 90_000);
const predictVersion = async () => ((await (await call(predictRequest({ pixels: pixelsExample(0).pixels }))).json()) as { model: { version: string } }).model.version;
/** Every delivery named by the manifest as decided (a version's, a rejection's; a split round decides nothing), counted. */
const deliveryCounts = (m: Awaited<ReturnType<typeof manifest>>) => {
  const counts = new Map<string, number>();
  for (const v of m.versions) for (const d of v.deliveries) counts.set(d, (counts.get(d) ?? 0) + 1);
  for (const d of m.decisions) if (!d.accepted && !d.split) for (const id of d.deliveries) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
};
/** 50 sevens labelled 1, from `from` on. */
const poisoned = (from: number) => ofDigit(7, 50, from).map((i) => pixelsExample(i, 1));

beforeEach(() => resetOnline());
afterAll(async () => {
  await resetOnline();
  await new Promise((r) => setTimeout(r, 1100)); // past MODEL_REFRESH_SECONDS: later files see the bundled model
});

describe('online learning through the queue and the trainer', () => {
  it('correct new examples make a new version that predicting isolates serve within MODEL_REFRESH_SECONDS, answering throughout', async () => {
    const before = await predictVersion();
    expect(before).toMatch(/^bundled-/);
    // Predictions keep coming while the version changes under them.
    const seen: Array<{ status: number; version: string }> = [];
    let stop = false;
    const predicting = (async () => {
      while (!stop) {
        const res = await call(predictRequest({ pixels: pixelsExample(1).pixels }));
        seen.push({ status: res.status, version: ((await res.json()) as { model: { version: string } }).model.version });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // A fixed id: it seeds the round's shuffling, so the outcome is reproducible.
    const id = await deliver(Array.from({ length: 100 }, (_, i) => pixelsExample(i)), 'msg_correct_1');
    const applied = await appliedTo(id);
    expect(applied.outcome).toBe('accepted');
    const m = await manifest();
    expect(m.versions.map((v) => [v.version, v.source, v.parent])).toEqual([['v1', 'offline', null], ['v2', 'online', 'v1']]);
    expect(m.versions[0].note).toBe('bundled');
    expect(m.versions[1].deliveries).toEqual([id]);
    expect(m.current).toBe('v2');
    const published = Date.parse(m.versions[1].createdAt);
    const servedAt = await waitFor('predict to answer with v2', async () => (await predictVersion()) === 'v2' && Date.now(), 10_000, 50);
    stop = true;
    await predicting;
    // Within MODEL_REFRESH_SECONDS (1 s in these tests) plus the time to load the version.
    expect(servedAt - published).toBeLessThan(Number(env.MODEL_REFRESH_SECONDS) * 1000 + 2000);
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((s) => s.status === 200)).toBe(true);
    // Versions only move forward: the old one (bundled, then v1) until the new one is ready. (The
    // loop's last answer may still be the old version: its request can have begun before the switch.)
    const rank = seen.map((s) => [before, 'v1', 'v2'].indexOf(s.version));
    expect(rank.every((r) => r >= 0)).toBe(true);
    expect(rank.every((r, i) => i === 0 || r >= rank[i - 1])).toBe(true);
    expect(await predictVersion()).toBe('v2');

    // Through the runtime's own fetch too, and GET /v1/models/digits tells the story.
    const res = await SELF.fetch(`${ORIGIN}/v1/models/digits`);
    const details = (await res.json()) as { current: string; versions: Array<{ version: string; parent: string | null; createdAt: string; metrics: Record<string, number> }>; decisions: Array<{ accepted: boolean; candidate: string }> };
    expect(details.current).toBe('v2');
    expect(details.versions[1]).toMatchObject({ version: 'v2', parent: 'v1' });
    expect(details.versions[1].metrics.holdoutAccuracy).toBeGreaterThan(0.5);
    expect(details.decisions.at(-1)).toMatchObject({ accepted: true, candidate: 'v2' });

    // Rollback restores the previous version, for predictions too.
    const rolled = await call(new Request(`${ORIGIN}/v1/models/digits/rollback`, { method: 'POST', headers: ADMIN() }));
    expect(rolled.status, await rolled.clone().text()).toBe(200);
    expect(await rolled.json()).toMatchObject({ name: 'digits', current: 'v1', event: { action: 'rollback', from: 'v2', to: 'v1' } });
    await waitFor('predict to answer with v1 again', async () => (await predictVersion()) === 'v1', 10_000, 50);
    // Rolling back past the first version: 409, nothing changes.
    await expectError(await call(new Request(`${ORIGIN}/v1/models/digits/rollback`, { method: 'POST', headers: ADMIN() })), 409, 'no_parent');
    expect((await manifest()).current).toBe('v1');
  });

  it('a batch of deliberately wrong labels is rejected by the gate; the served version is unchanged', async () => {
    // One clean round first, so that a version other than the bundled one is being served.
    await appliedTo(await deliver(Array.from({ length: 30 }, (_, i) => pixelsExample(200 + i)), 'msg_clean_1'));
    const served = (await manifest()).current!;
    // Every 1 labelled 7.
    const poisoned = ofDigit(1, 100, 500).map((i) => pixelsExample(i, 7));
    const id = await deliver(poisoned, 'msg_poison_1');
    expect((await appliedTo(id)).outcome).toBe('rejected');
    const m = await manifest();
    expect(m.current).toBe(served);
    expect(m.versions.map((v) => v.version)).toEqual(['v1', served].filter((v, i, a) => a.indexOf(v) === i));
    const decision = m.decisions.at(-1)!;
    expect(decision).toMatchObject({ accepted: false, candidate: null, parent: served, deliveries: [id], examples: 100 });
    expect(decision.reason).toMatch(/^significantly worse than v\d+ on the .*anchor holdout/);
    // The digit that suffers most is the one mislabelled.
    expect(decision.checks?.find((c: { scope: unknown }) => c.scope !== 'all')).toMatchObject({ scope: 1, worse: true });
    expect(decision.holdoutAccuracy).toBeLessThan(decision.parentHoldoutAccuracy);
    await waitFor('predict to serve the unchanged version', async () => (await predictVersion()) === served, 5000, 50);
  });

  it('a redelivered id (re-signed, as senders retry) is accepted again and applied once', async () => {
    const id = newId();
    const examples = Array.from({ length: 20 }, (_, i) => pixelsExample(300 + i));
    await deliver(examples, id);
    await appliedTo(id);
    const after = await manifest();
    // The sender did not see the 202 and retries: same id, new timestamp and signature.
    await deliver(examples, id);
    await deliver(examples, id);
    // A later delivery is a sentinel: once it is applied, the queue has handed over the redeliveries.
    const sentinel = await deliver([pixelsExample(400)]);
    await appliedTo(sentinel);
    const m = await manifest();
    expect(deliveryCounts(m).get(id)).toBe(1);
    expect(m.versions.filter((v) => v.deliveries.includes(id))).toEqual(after.versions.filter((v) => v.deliveries.includes(id)));
    expect([...(await appliedDeliveries()).keys()].sort()).toEqual([id, sentinel].sort());
  });

  it('50 concurrent deliveries (and admins publishing meanwhile) are all applied exactly once, no manifest update lost', async () => {
    const ids = Array.from({ length: 50 }, () => newId('c'));
    const bundled = new Uint8Array(digitsOnnx);
    const [answers, admin] = await Promise.all([
      Promise.all(ids.map((id, k) => call(signedRequest({ examples: [pixelsExample(600 + 2 * k), pixelsExample(601 + 2 * k)] }, { id })))),
      // Three workstation publishes race the trainer's rounds for the manifest.
      (async () => {
        const out: string[] = [];
        for (let k = 0; k < 3; k++) {
          await new Promise((r) => setTimeout(r, k ? 1500 : 0)); // spread over the rounds
          const res = await call(new Request(`${ORIGIN}/v1/models/digits/versions?note=race-${k}`, { method: 'POST', headers: { ...ADMIN(), 'content-type': 'application/octet-stream' }, body: bundled }));
          expect(res.status, await res.clone().text()).toBe(201);
          out.push(((await res.json()) as { version: { version: string } }).version.version);
        }
        return out;
      })(),
    ]);
    expect(answers.map((r) => r.status)).toEqual(new Array(50).fill(202));
    const applied = await waitFor('all 50 deliveries to be applied', async () => {
      const a = await appliedDeliveries();
      return ids.every((id) => a.has(id)) && a;
    }, 120_000, 500);
    expect(applied.size).toBe(50);

    const m = await manifest();
    const counts = deliveryCounts(m);
    for (const id of ids) expect(counts.get(id), id).toBe(1);
    // Every version anyone published is in the manifest: the trainer's (from its own log) and the admins'.
    const { rounds } = await trainerOf().status('digits', 100);
    const trained = rounds.filter((r) => r.version).map((r) => r.version!);
    const names = m.versions.map((v) => v.version);
    for (const v of [...trained, ...admin]) expect(names).toContain(v);
    expect(new Set(names).size).toBe(names.length);
    // Every round is a decision in the manifest (none was split: every delivery is correct); each accepted one names its version.
    expect(m.decisions.length).toBe(rounds.length);
    expect(m.decisions.some((d) => d.split)).toBe(false);
    expect(m.decisions.filter((d) => d.accepted).map((d) => d.candidate).sort()).toEqual(trained.sort());
    // An online version's parent is what was current when it was published: admins' versions are never overridden silently.
    for (const v of m.versions.filter((x) => x.source === 'online')) expect(names).toContain(v.parent);
    console.log(`50 deliveries: ${rounds.length} rounds, ${trained.length} versions published by the trainer, ${admin.length} by admins; round times (ms): ${rounds.map((r) => r.roundMs).join(' ')}`);
  });

  it('a delivery whose training keeps failing is retried, dead-lettered, visible, and applied once when replayed', async () => {
    // A fault the trainer cannot get past by itself: the manifest in R2 is not JSON.
    await env.MODELS.put('models/digits/manifest.json', '{ "current": "v1", ');
    const id = await deliver([pixelsExample(700), pixelsExample(701)]);
    type Listed = { delivery: string; model: string; examples: number; lastError: string | null };
    const list = async () => (await (await call(new Request(`${ORIGIN}/v1/admin/deadletters`, { headers: ADMIN() }))).json()) as { deadLetters: Listed[]; cursor: string | null };
    const listed = await waitFor('the dead letter to be listed', async () => (await list()).deadLetters.find((d) => d.delivery === id), 90_000, 500);
    expect(listed).toMatchObject({ model: 'digits', examples: 2 });
    expect(listed.lastError).toMatch(/manifest of 'digits' is not valid JSON/);
    const stored = JSON.parse(await (await env.MODELS.get(`deadletters/${id}.json`))!.text()) as { attempts: number; labels: number[]; source: string };
    expect(stored).toMatchObject({ attempts: 4, labels: [pixelsExample(700).label, pixelsExample(701).label], source: 'webhook' });
    expect((await appliedDeliveries()).has(id)).toBe(false);

    // Without the admin token: 401; with a wrong one: 403.
    await expectError(await call(new Request(`${ORIGIN}/v1/admin/deadletters/${id}/replay`, { method: 'POST' })), 401, 'unauthorized');
    await expectError(await call(new Request(`${ORIGIN}/v1/admin/deadletters/${id}/replay`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })), 403, 'forbidden');

    // The fault is repaired; the dead letter is replayed and applied, once.
    await env.MODELS.delete('models/digits/manifest.json');
    const replayed = await call(new Request(`${ORIGIN}/v1/admin/deadletters/${id}/replay`, { method: 'POST', headers: ADMIN() }));
    expect(replayed.status, await replayed.clone().text()).toBe(202);
    expect(await replayed.json()).toEqual({ replayed: id, examples: 2 });
    await appliedTo(id);
    expect((await list()).deadLetters.map((d) => d.delivery)).not.toContain(id);
    await expectError(await call(new Request(`${ORIGIN}/v1/admin/deadletters/${id}/replay`, { method: 'POST', headers: ADMIN() })), 404, 'not_found');
    // The sender's own late redelivery is recognised too.
    await deliver([pixelsExample(700), pixelsExample(701)], id);
    await appliedTo(await deliver([pixelsExample(702)]));
    expect(deliveryCounts(await manifest()).get(id)).toBe(1);
    expect(await env.MODELS.get(`training-failures/${id}.json`)).toBeNull();
  });

  it('one correct delivery sent together with four poisoned ones: the round is bisected by the trainer\'s alarm; the correct one accepted, the four rejected, each once', async () => {
    const good = newId('good');
    const bad = Array.from({ length: 4 }, () => newId('bad'));
    await Promise.all([
      deliver(Array.from({ length: 50 }, (_, i) => pixelsExample(1300 + i)), good),
      ...bad.map((id, k) => deliver(poisoned(1400 + 300 * k), id)),
    ]);
    const decided = await waitFor('all five to be decided', async () => {
      const a = await appliedDeliveries();
      return [good, ...bad].every((id) => a.has(id)) && a;
    }, 120_000, 250);
    expect(decided.get(good)?.outcome).toBe('accepted');
    for (const id of bad) expect(decided.get(id)?.outcome, id).toBe('rejected');
    const m = await manifest();
    const counts = deliveryCounts(m);
    for (const id of [good, ...bad]) expect(counts.get(id), id).toBe(1);
    expect(m.versions.find((v) => v.deliveries.includes(good))?.deliveries).toEqual([good]);
    // Public: counts only; the senders' ids are the admin's to see.
    const text = await (await call(new Request(`${ORIGIN}/v1/models/digits`))).text();
    for (const id of [good, ...bad]) expect(text).not.toContain(id);
    const admin = (await (await call(new Request(`${ORIGIN}/v1/admin/models/digits`, { headers: ADMIN() }))).json()) as { decisions: Array<{ deliveries: string[]; split?: boolean }> };
    expect(admin.decisions.filter((d) => !d.split).flatMap((d) => d.deliveries).sort()).toEqual([good, ...bad].sort());
    expect((await trainerOf().status('digits')).inbox).toEqual({ groups: 0, deliveries: 0 });
  });

  it('the trainer object evicted while a bisection waits in its inbox: the alarm finishes it, every delivery decided exactly once', async () => {
    const good = newId('good');
    const bad = [newId('bad'), newId('bad')];
    await Promise.all([deliver(Array.from({ length: 30 }, (_, i) => pixelsExample(1800 + i)), good), ...bad.map((id, k) => deliver(poisoned(2000 + 300 * k), id))]);
    // As soon as the first round has been split, the object is evicted (its memory lost; its storage and alarm kept).
    await waitFor('a split round', async () => (await trainerOf().status('digits')).inbox.groups > 0, 90_000, 100);
    await abortAllDurableObjects();
    await waitFor('all three to be decided', async () => {
      const a = await appliedDeliveries();
      return [good, ...bad].every((id) => a.has(id));
    }, 120_000, 250);
    const counts = deliveryCounts(await manifest());
    for (const id of [good, ...bad]) expect(counts.get(id), id).toBe(1);
    expect((await appliedDeliveries()).get(good)?.outcome).toBe('accepted');
  });

  it('the trainer object evicted while rounds are under way restarts with its state intact: every delivery applied exactly once', async () => {
    const first: string[] = [];
    for (let k = 0; k < 3; k++) first.push(await deliver([pixelsExample(800 + 2 * k), pixelsExample(801 + 2 * k)]));
    for (const id of first) await appliedTo(id);
    const before = await appliedDeliveries();

    // Rounds called on the object directly, the object evicted 0 to 200 ms after each call (the eviction
    // takes effect when the round yields; the first is cut off before it applies anything).
    const second: Array<{ id: string; i: number }> = [];
    const outcomes: string[] = [];
    for (const delay of [0, 15, 60, 200]) {
      const batch = Array.from({ length: 2 }, (_, k) => ({ id: newId('evicted'), i: 900 + 2 * second.length + k }));
      second.push(...batch);
      const messages = batch.map(({ id, i }) => ({
        delivery: id, model: 'digits', source: 'webhook' as const, receivedAt: new Date().toISOString(),
        records: packExamples([{ label: pixelsExample(i).label, pixels: toBytes(pixelsExample(i).pixels) }]),
      }));
      const round = trainerOf().train(messages).then(() => 'finished', (e: Error) => `cut off (${e.message.slice(0, 60)})`);
      await new Promise((r) => setTimeout(r, delay));
      await abortAllDurableObjects();
      outcomes.push(`evicted ${delay} ms after the call: ${await round}`);
    }
    console.log(outcomes.join('; '));
    expect(outcomes.some((o) => o.includes('cut off'))).toBe(true);

    // Its state survived: what it had applied is still known.
    const after = await appliedDeliveries();
    for (const [id, record] of before) expect(after.get(id)).toEqual(record);
    // The senders retry all of it through the webhook, the first deliveries too.
    for (const { id, i } of second) await deliver([pixelsExample(i)], id);
    for (const id of first) await deliver([pixelsExample(0)], id);
    const all = [...first, ...second.map((s) => s.id)];
    // A last delivery as a sentinel: once it is applied, the queue has handed over every redelivery.
    const sentinel = await deliver([pixelsExample(999)]);
    await waitFor('every delivery to be applied', async () => {
      const a = await appliedDeliveries();
      return [...all, sentinel].every((id) => a.has(id));
    }, 90_000, 500);
    const counts = deliveryCounts(await manifest());
    for (const id of all) expect(counts.get(id), id).toBe(1);
    expect((await trainerOf().status('digits')).replay.every((n) => n === 100)).toBe(true);
  });
});
