import autocannon from 'autocannon';
import type { PredictBody } from '../../bench/predict-http.ts';

/** One bounded load run against POST /v1/predict. */
export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Latency of the 2xx answers (ms, per response, not autocannon's whole-millisecond histogram). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  /** Connection errors and timeouts (autocannon's `errors` counts both). */
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

/**
 * Posts `body` to `${url}/v1/predict` from `connections` connections for `seconds` (autocannon,
 * one request in flight per connection), each answer within `timeoutSeconds`.
 *
 * @example
 * const r = await loadPredict('http://127.0.0.1:8787', mnistPngBody(), 4, 60);
 */
export async function loadPredict(url: string, body: PredictBody, connections: number, seconds: number, timeoutSeconds = 10): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  // Without a callback autocannon returns its event emitter, made thenable (its types say only Promise).
  const run = autocannon({
    url: `${url}/v1/predict`, method: 'POST', headers: { 'content-type': body.contentType }, body: Buffer.from(body.bytes),
    connections, duration: seconds, timeout: timeoutSeconds,
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await run;
  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN);
  return {
    connections, seconds: r.duration, requests: r.requests.total, requestsPerSecond: r.requests.total / r.duration,
    p50Ms: q(0.5), p99Ms: q(0.99), maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, statuses,
  };
}

/**
 * Steps the connections up and picks the concurrency that saturates the machine: the fewest
 * connections whose throughput is within `within` (5%) of the best step's. More connections past
 * that point only queue requests (higher latency, no more answers per second).
 *
 * @example
 * const { steps, saturating } = await findSaturation(url, body, [1, 2, 4, 8, 16, 32], 5);
 */
export async function findSaturation(url: string, body: PredictBody, levels: number[], seconds: number, within = 0.05, log = (_: string) => {}): Promise<{ steps: LoadResult[]; saturating: number }> {
  const steps: LoadResult[] = [];
  for (const c of levels) {
    const r = await loadPredict(url, body, c, seconds);
    steps.push(r);
    log(`  ${String(c).padStart(3)} connections: ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
  }
  const best = Math.max(...steps.map((s) => s.requestsPerSecond));
  const saturating = steps.find((s) => s.requestsPerSecond >= (1 - within) * best)!.connections;
  return { steps, saturating };
}
