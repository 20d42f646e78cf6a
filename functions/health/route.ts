import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.ts';
import { ApiApp, json } from '../http/openapi.ts';

/** GET /healthz. */
export const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The Worker answers',
  description: 'Answers without touching a model (also the latency baseline the benchmark compares predictions against).',
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'Up') },
});

/**
 * GET /healthz: the Worker answers, without touching a model (so it is also the latency baseline
 * the benchmark compares /v1/predict against).
 *
 * @example
 * curl -s localhost:8787/healthz // { "status": "ok" }
 */
export function healthRoute() {
  return new ApiApp<AppEnv>().openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
}
