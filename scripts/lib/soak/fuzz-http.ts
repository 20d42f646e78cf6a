import { judge } from '../fuzz/oracle.ts';
import { describeRequest, FAMILY_WEIGHTS, RequestFuzzer, type Family } from '../fuzz/requests.ts';
import { DeadlineExceeded } from '../fuzz/send.ts';
import { sendOnce } from './http-client.ts';

export interface HttpFuzzOptions {
  url: string;
  seed: number;
  /** Cases to send (a replay case sends 4 requests). */
  cases: number;
  /** Cases in flight at once. */
  concurrency: number;
  /** Each request must be answered within this (ms). */
  deadlineMs: number;
  /** The Worker's WEBHOOK_SECRET: signed cases reach the body parser. */
  secret: string;
  /** Strings that must appear in no answer (the secrets). */
  secrets: string[];
  /** Families left out. */
  skip?: string[];
  /** Called now and then with the cases done. */
  progress?: (done: number) => void;
}

export interface HttpFuzzFailure {
  index: number;
  family: string;
  detail: string;
  step: number;
  request: string;
  status: number | string;
  problems: string[];
}

export interface HttpFuzzResult {
  seed: number;
  cases: number;
  requests: number;
  seconds: number;
  /** Answers by family, then status ("deadline" for none in time, "not sent" when the client refused to send it). */
  byFamily: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
  serverErrors: number;
  deadlineExceeded: number;
  notSent: number;
  failures: number;
  /** The first failures, in full. */
  failureSamples: HttpFuzzFailure[];
  latencyMs: { p50: number; p99: number; max: number };
  /** Deliveries answered 202: id -> examples accepted. */
  accepted: Map<string, number>;
}

/**
 * Sends `cases` fuzz cases (scripts/lib/fuzz) to a running Worker over HTTP, `concurrency` at a
 * time (the steps of one case in order), and judges every answer with the oracle.
 *
 * @example
 * const r = await fuzzOverHttp({ url, seed: 1, cases: 20_000, concurrency: 8, deadlineMs: 15_000, secret, secrets: [secret] });
 */
export async function fuzzOverHttp(o: HttpFuzzOptions): Promise<HttpFuzzResult> {
  const families = (Object.keys(FAMILY_WEIGHTS) as Family[]).filter((f) => !o.skip?.includes(f));
  const fuzzer = new RequestFuzzer({ seed: o.seed, secret: o.secret, families });
  const byFamily: Record<string, Record<string, number>> = {};
  const byStatus: Record<string, number> = {};
  const failureSamples: HttpFuzzFailure[] = [];
  const latencies: number[] = [];
  const accepted = new Map<string, number>();
  let [requests, failures, serverErrors, deadlineExceeded, notSent, next, done] = [0, 0, 0, 0, 0, 0, 0];
  const count = (family: string, status: string) => {
    byFamily[family] ??= {};
    byFamily[family][status] = (byFamily[family][status] ?? 0) + 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  };
  const t0 = performance.now();

  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= o.cases) return;
      const c = fuzzer.caseAt(index);
      const streamed = c.steps.some((s) => s.request.body !== undefined && !(s.request.body instanceof Uint8Array));
      await runCase(index, c, streamed);
      if (++done % 1000 === 0) o.progress?.(done);
    }
  };
  const runCase = async (index: number, c: ReturnType<RequestFuzzer['caseAt']>, streamed: boolean) => {
    for (const [k, step] of c.steps.entries()) {
      requests++;
      let status: number | string;
      let problems: string[];
      const sent = performance.now();
      try {
        const answer = await sendOnce(o.url, step.request, o.deadlineMs);
        latencies.push(performance.now() - sent);
        status = answer.status;
        problems = judge(step.request.method, step.expect, answer, o.secrets);
        if (answer.status >= 500) serverErrors++;
        if (answer.status === 202) {
          const { accepted: n, delivery } = JSON.parse(answer.body) as { accepted: number; delivery: string };
          if (!accepted.has(delivery)) accepted.set(delivery, n);
        }
      } catch (e) {
        if (/^ERR_INVALID_(CHAR|HTTP_TOKEN)$/.test((e as { code?: string }).code ?? '')) {
          // The client would not send it (a header HTTP does not allow): no request, no answer.
          notSent++;
          count(c.family, 'not sent');
          failureSamples.length < 50 && failureSamples.push({ index, family: c.family, detail: c.detail, step: k, request: describeRequest(step.request), status: 'not sent', problems: [`the client refused it: ${(e as Error).message}`] });
          continue;
        }
        status = e instanceof DeadlineExceeded ? 'deadline' : streamed ? 'closed early' : 'network error';
        if (e instanceof DeadlineExceeded) deadlineExceeded++;
        // A server that refuses a chunked upload early closes the connection; the client may not read the answer first.
        problems = status === 'closed early' ? [] : [`${(e as Error).name}: ${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ''}`];
      }
      count(c.family, String(status));
      if (problems.length) {
        failures++;
        if (failureSamples.length < 50) failureSamples.push({ index, family: c.family, detail: c.detail, step: k, request: describeRequest(step.request), status, problems });
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));

  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN);
  return {
    seed: o.seed, cases: o.cases, requests, seconds: (performance.now() - t0) / 1000, byFamily, byStatus,
    serverErrors, deadlineExceeded, notSent, failures, failureSamples,
    latencyMs: { p50: q(0.5), p99: q(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN },
    accepted,
  };
}

