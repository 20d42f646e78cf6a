import type { Context } from 'hono';
import type { AppEnv } from '../context.ts';

/**
 * GET /healthz: the Worker answers, without touching a model (so it is also the latency baseline
 * the benchmark compares /v1/predict against). Declared in route.ts.
 */
export const health = (c: Context<AppEnv, '/healthz'>) => c.json({ status: 'ok' as const }, 200);
