import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.ts';
import { ApiApp, json } from '../http/openapi.ts';
import { health } from './handler.ts';

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
 * GET /healthz with its declaration, for the whole app and its document: the handler (handler.ts)
 * is the one the predicting app serves.
 *
 * @example
 * curl -s localhost:8787/healthz // { "status": "ok" }
 */
export function healthRoute() {
  return new ApiApp<AppEnv>().openapi(healthz, health);
}
