import { env, runInDurableObject } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, callWith, expectError, ORIGIN } from './helpers.ts';
import { newId, pixelsExample, recordingQueue, resetOnline, signedRequest, trainerOf } from './online-helpers.ts';

// Refusals leave no trace, and secrets leave no trace either. The signature refusals themselves
// (which request gets which 401) are webhook.test.ts's, admin's 401/403 admin.test.ts's; here: a
// refused delivery changes nothing anywhere (nothing queued, nothing in R2, nothing in the trainer
// object's storage, where the ledger of signed attempts lives), and no secret reaches a log line or an answer.

const MINUTE = 60_000;
const body = () => ({ examples: [pixelsExample(0), pixelsExample(1)] });

/** Everything a delivery could leave behind: every R2 key, and every key of the trainer object's storage. */
async function traces(): Promise<{ r2: string[]; trainer: string[] }> {
  const r2: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.MODELS.list({ cursor });
    r2.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  const trainer = await runInDurableObject(trainerOf(), async (_i, state) => [...(await state.storage.list()).keys()]);
  return { r2: r2.sort(), trainer: trainer.sort() };
}

const logged: string[] = [];
beforeEach(async () => {
  await resetOnline();
  logged.length = 0;
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message} ${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});
afterEach(() => vi.restoreAllMocks());
afterAll(() => resetOnline());

describe('a refused delivery leaves no trace', () => {
  const refusals: Array<[string, () => Request]> = [
    ['no signature headers', () => {
      const r = signedRequest(body());
      const headers = new Headers(r.headers);
      for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) headers.delete(h);
      return new Request(r, { headers });
    }],
    ['a wrong secret', () => signedRequest(body(), { secret: 'whsec_d3Jvbmctc2VjcmV0LWZvci10ZXN0aW5nLW9ubHk=' })],
    ['a stale timestamp', () => signedRequest(body(), { timestamp: new Date(Date.now() - 6 * MINUTE) })],
    ['the body modified after signing', () => {
      const id = newId();
      const signature = new Webhook(env.WEBHOOK_SECRET).sign(id, new Date(), JSON.stringify(body()));
      return signedRequest({ examples: [{ ...pixelsExample(0), label: 9 }, pixelsExample(1)] }, { id, signature });
    }],
  ];
  it.each(refusals)('%s: 401, nothing queued, nothing stored in R2 or in the trainer object', async (_name, make) => {
    const before = await traces();
    const q = recordingQueue();
    await expectError(await callWith(make(), { TRAINING_QUEUE: q.queue }), 401, 'invalid_signature');
    expect(q.sent).toEqual([]);
    expect(await traces()).toEqual(before);
  });

  it('the same signed request again (a retry after a lost answer): 202 duplicate, nothing queued, nothing added to what the first delivery stored', async () => {
    const id = newId();
    const payload = JSON.stringify(body());
    const at = new Date(Date.now() - 10_000);
    const first = recordingQueue();
    expect((await callWith(signedRequest(null, { id, raw: payload, timestamp: at }), { TRAINING_QUEUE: first.queue })).status).toBe(202);
    expect(first.sent).toHaveLength(1);
    const before = await traces();
    expect(before.trainer.filter((k) => k.startsWith('attempt:'))).toHaveLength(1); // the ledger holds the first attempt
    for (let k = 0; k < 3; k++) {
      const q = recordingQueue();
      const res = await callWith(signedRequest(null, { id, raw: payload, timestamp: at }), { TRAINING_QUEUE: q.queue });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 2, delivery: id, duplicate: true });
      expect(q.sent).toEqual([]);
    }
    expect(await traces()).toEqual(before);
  });

  it('another body signed under the same webhook-id and timestamp: 409, nothing queued, the ledger unchanged', async () => {
    const id = newId();
    const at = new Date(Date.now() - 10_000);
    const first = recordingQueue();
    expect((await callWith(signedRequest(body(), { id, timestamp: at }), { TRAINING_QUEUE: first.queue })).status).toBe(202);
    const before = await traces();
    const q = recordingQueue();
    const other = { examples: [{ ...pixelsExample(0), label: 9 }] };
    await expectError(await callWith(signedRequest(other, { id, timestamp: at }), { TRAINING_QUEUE: q.queue }), 409, 'delivery_conflict');
    expect(q.sent).toEqual([]);
    expect(await traces()).toEqual(before);
  });

  it('a delivery the queue refuses (503) leaves no ledger entry: the sender may send it again', async () => {
    const before = await traces();
    const failing = { send: async () => { throw new Error('queue unavailable (injected)'); } };
    const request = () => signedRequest(body(), { id: 'msg_queue_down', timestamp: new Date(Date.now() - 5000) });
    await expectError(await callWith(request(), { TRAINING_QUEUE: failing }), 503, 'queue_unavailable');
    expect(await traces()).toEqual(before);
    const q = recordingQueue();
    expect((await callWith(request(), { TRAINING_QUEUE: q.queue })).status).toBe(202);
  });
});

describe('secrets never appear in logs or answers', () => {
  it('across refusals, misconfigurations and admin calls, no log line and no answer holds a secret', async () => {
    const misconfigured = 'whsec_!!this-is-not-base64-but-a-secret-all-the-same!!';
    const secrets = [env.WEBHOOK_SECRET, env.WEBHOOK_SECRET.slice('whsec_'.length), env.ADMIN_TOKEN, misconfigured, misconfigured.slice('whsec_'.length)];
    const answers: string[] = [];
    const keep = async (res: Response) => answers.push(`${res.status} ${[...res.headers].join(' ')} ${await res.text()}`);
    const q = recordingQueue();
    // The webhook: refused in every way, accepted once, with a secret that is not one.
    for (const r of [
      signedRequest(body(), { secret: 'whsec_d3Jvbmctc2VjcmV0LWZvci10ZXN0aW5nLW9ubHk=' }),
      signedRequest(body(), { timestamp: new Date(Date.now() + 6 * MINUTE) }),
      signedRequest(body(), { signature: `v1,${env.WEBHOOK_SECRET.slice(6)}` }),
      signedRequest(body(), { id: 'fb_not_yours' }),
      signedRequest(body()),
    ]) await keep(await callWith(r, { TRAINING_QUEUE: q.queue }));
    for (const secret of [misconfigured, '', undefined]) await keep(await callWith(signedRequest(body()), { TRAINING_QUEUE: q.queue, WEBHOOK_SECRET: secret }));
    // The admin routes: no token, a wrong one, one that holds the right one, the right one, none configured.
    const admin = (authorization?: string) => new Request(`${ORIGIN}/v1/admin/deadletters`, { headers: authorization ? { authorization } : {} });
    for (const a of [undefined, 'Bearer wrong', `Bearer ${env.ADMIN_TOKEN}x`, `Bearer ${env.ADMIN_TOKEN.slice(0, -1)}`, `Basic ${env.ADMIN_TOKEN}`, `Bearer ${env.ADMIN_TOKEN}`]) {
      await keep(await call(admin(a)));
    }
    await keep(await callWith(admin(`Bearer ${env.ADMIN_TOKEN}`), { ADMIN_TOKEN: undefined }));
    // A failure deep inside: the queue refuses a delivery (its error is logged).
    await keep(await callWith(signedRequest(body()), { TRAINING_QUEUE: { send: async () => { throw new Error('queue unavailable (injected)'); } } }));

    expect(answers.map((a) => a.slice(0, 3))).toEqual(['401', '401', '401', '400', '202', '503', '503', '503', '401', '403', '403', '403', '401', '200', '503', '503']);
    expect(logged.length).toBeGreaterThan(3); // the misconfigurations and the queue failure were logged
    for (const s of secrets.filter((x) => x.length > 8)) {
      expect(answers.filter((a) => a.includes(s)), `an answer holds ${s.slice(0, 10)}...`).toEqual([]);
      expect(logged.filter((l) => l.includes(s)), `a log line holds ${s.slice(0, 10)}...`).toEqual([]);
    }
  });
});
