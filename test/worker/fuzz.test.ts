import { env } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { judge } from '../../scripts/lib/fuzz/oracle.ts';
import { describeRequest, FAMILY_WEIGHTS, RequestFuzzer, type FuzzCase } from '../../scripts/lib/fuzz/requests.ts';
import { answerWithin, toRequest } from '../../scripts/lib/fuzz/send.ts';
import { callWith, ORIGIN } from './helpers.ts';
import { recordingQueue } from './online-helpers.ts';

// The fast part of the fuzzing (the long one is `npm run soak`, over HTTP against wrangler dev):
// seeded generated and mutated requests to POST /v1/predict and POST /v1/webhooks/training, through
// the Worker's default handler inside workerd, with a recording queue in place of TRAINING_QUEUE
// (so what was queued is seen exactly; the trainer's round is not run), and header bytes over 0x7e
// written as \xNN (workerd would re-encode them, warning each time; the soak sends them raw). Every answer must keep
// scripts/lib/fuzz/oracle.ts's rules within a deadline, a 202 must have queued exactly that
// delivery and anything else nothing, and no secret may appear in an answer or a log line.
// A failure names its seed and index: `new RequestFuzzer({ seed, secret }).caseAt(index)` rebuilds it.

const SEED = 20261127;
const CASES = 3000;
const DEADLINE_MS = 15_000;

interface Outcome {
  c: FuzzCase;
  step: number;
  status: number | 'deadline';
  problems: string[];
}

const logged: string[] = [];
beforeAll(() => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});
let summary = '';
afterAll(() => {
  vi.restoreAllMocks();
  if (summary) console.info(`answers by family (seed ${SEED}):\n${summary}`);
});

describe(`fuzzing the Worker inside workerd (seed ${SEED})`, () => {
  const outcomes: Outcome[] = [];

  it(`${CASES} generated and mutated requests: 2xx where valid, else a 4xx JSON error; never a 5xx, a crash or a hang`, async () => {
    const fuzzer = new RequestFuzzer({ seed: SEED, secret: env.WEBHOOK_SECRET });
    const secrets = [env.WEBHOOK_SECRET, env.WEBHOOK_SECRET.slice('whsec_'.length), env.ADMIN_TOKEN];
    for (let index = 0; index < CASES; index++) {
      const c = fuzzer.caseAt(index);
      for (const [k, step] of c.steps.entries()) {
        const q = recordingQueue();
        let outcome: Outcome;
        try {
          const answer = await answerWithin(DEADLINE_MS, () => callWith(toRequest(ORIGIN, step.request, { asciiHeaders: true }), { TRAINING_QUEUE: q.queue }));
          const problems = judge(step.request.method, step.expect, answer, secrets);
          // What was queued: the delivery of a 202, exactly once (nothing for a duplicate); nothing for anything else.
          const duplicate = answer.status === 202 && (JSON.parse(answer.body) as { duplicate?: boolean }).duplicate === true;
          if (answer.status === 202 && !duplicate) {
            const { accepted, delivery } = JSON.parse(answer.body) as { accepted: number; delivery: string };
            if (q.sent.length !== 1 || q.sent[0].delivery !== delivery || q.sent[0].records.length !== accepted * 785) {
              problems.push(`a 202 for ${delivery} (${accepted}) queued ${JSON.stringify(q.sent.map((m) => [m.delivery, m.records.length]))}`);
            }
          } else if (q.sent.length) {
            problems.push(`a ${answer.status} queued ${q.sent.length} message(s)`);
          }
          outcome = { c, step: k, status: answer.status, problems };
        } catch (e) {
          outcome = { c, step: k, status: 'deadline', problems: [`${(e as Error).name}: ${(e as Error).message}`] };
        }
        outcomes.push(outcome);
      }
    }
    const failed = outcomes.filter((o) => o.problems.length);
    const report = failed.slice(0, 60).map((o) => `case ${o.c.index} step ${o.step} [${o.c.family}] ${o.c.detail}\n  ${describeRequest(o.c.steps[o.step].request)}\n  -> ${o.status}: ${o.problems.join('; ')}`);
    expect(report, `${failed.length} of ${outcomes.length} answers broke the rules (seed ${SEED})`).toEqual([]);
    // No secret in any log line either.
    for (const s of secrets) expect(logged.filter((line) => line.includes(s))).toEqual([]);
    // A 5xx would have been logged as an unexpected failure.
    expect(logged.filter((line) => line.startsWith('unexpected failure'))).toEqual([]);
  });

  it('every family was drawn, and the bad ones reached past the first check', () => {
    const byFamily = new Map<string, Map<string, number>>();
    for (const o of outcomes) {
      const m = byFamily.get(o.c.family) ?? new Map<string, number>();
      m.set(String(o.status), (m.get(String(o.status)) ?? 0) + 1);
      byFamily.set(o.c.family, m);
    }
    summary = [...byFamily].sort().map(([f, m]) => `${f.padEnd(28)} ${[...m].sort().map(([s, n]) => `${s} x${n}`).join(', ')}`).join('\n');
    expect([...byFamily.keys()].sort()).toEqual(Object.keys(FAMILY_WEIGHTS).sort());
    // Mutated images are refused for many different reasons, and some mutations still decode.
    const mutated = byFamily.get('predict/image-mutated')!;
    expect(mutated.size).toBeGreaterThanOrEqual(3);
    // Signed bad bodies reach the parser (4xx other than 401); valid deliveries are accepted.
    expect(byFamily.get('webhook/body-invalid')!.get('401')).toBeUndefined();
    expect(byFamily.get('webhook/valid')!.get('202')).toBeGreaterThan(10);
  });
});

describe('regressions found by the fuzzer', () => {
  it("a webhook-id starting with '.', '_', ':' or '-' is refused with a message that states the rule it broke", async () => {
    const fuzzer = new RequestFuzzer({ seed: SEED, secret: env.WEBHOOK_SECRET });
    for (const id of ['.', '-x', '_a', ':1']) {
      const q = recordingQueue();
      const request = fuzzer.signed(new Uint8Array(new TextEncoder().encode(JSON.stringify({ examples: [{ label: 1, pixels: new Array(784).fill(0) }] }))), { id });
      const answer = await answerWithin(DEADLINE_MS, () => callWith(toRequest(ORIGIN, request), { TRAINING_QUEUE: q.queue }));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.message).toMatch(/starting with a letter or digit/);
      expect(q.sent).toEqual([]);
    }
  });
});
