import { Hono } from 'hono';
import type { AppEnv } from '../context.ts';

/**
 * GET /healthz: the Worker answers, without touching a model (so it is also the latency baseline
 * the benchmark compares /v1/predict against).
 *
 * @example
 * curl -s localhost:8787/healthz // { "status": "ok" }
 */
export function healthRoute(): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/healthz', (c) => c.json({ status: 'ok' }));
}
