import { Hono } from 'hono';
import { LinearRouter } from 'hono/router/linear-router';
import type { AppDeps, AppEnv } from './context.ts';
import { closeApp, openApp } from './frame.ts';
import { health } from './health/handler.ts';
import { predictHandler } from './predict/handler.ts';

/**
 * The app of the main Worker (index.ts), GET /healthz and POST /v1/predict: the same handlers, in
 * the same frame, as the whole app (app.ts), without the other routes and without the declarations
 * (zod and the OpenAPI generator): none of them is in the main Worker's script. Every other path
 * is the API Worker's (api/), whose whole app serves these two as well.
 *
 * @example
 * const app = createPredictApp({ catalog, engines });
 * const res = await app.request('/healthz');
 */
export function createPredictApp(deps: AppDeps) {
  // LinearRouter, as the whole app's (http/openapi.ts): nothing compiled when routes are added.
  const app = openApp(new Hono<AppEnv>({ router: new LinearRouter() }));
  app.get('/healthz', health).post('/v1/predict', predictHandler(deps));
  closeApp(app);
  return app;
}
