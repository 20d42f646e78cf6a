import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { adminRoute } from './admin/route.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { feedbackRoute } from './feedback/route.ts';
import { healthRoute } from './health/route.ts';
import { methodNotAllowed, notFound, onError } from './http/errors.ts';
import { securityHeaders } from './http/security.ts';
import { modelsRoute } from './models/route.ts';
import { predictRoute } from './predict/route.ts';
import { webhookRoute } from './webhooks/route.ts';

/**
 * CORS for the API: any origin may call it from a browser, without credentials (it has no cookies
 * or user sessions). Preflights are answered for GET and POST with a Content-Type header.
 */
export const CORS: Parameters<typeof cors>[0] = { origin: '*', allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: ['Content-Type'], maxAge: 86400 };

/**
 * The Worker's Hono app: thin routes over src/ (see each route module). Every error is JSON
 * `{ "error": { "code", "message" } }`: 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503, or a bare 500.
 *
 * @example
 * const app = createApp({ catalog, engines });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', securityHeaders); // first: it also wraps the preflights cors answers by itself
  app.use('*', cors(CORS));
  app.route('/', healthRoute());
  app.route('/', predictRoute(deps));
  app.route('/', modelsRoute(deps));
  app.route('/', webhookRoute(deps));
  app.route('/', feedbackRoute(deps));
  app.route('/', adminRoute(deps));
  // Known paths, other methods: 405 with Allow.
  app.all('/healthz', methodNotAllowed(['GET']));
  app.all('/v1/predict', methodNotAllowed(['POST']));
  app.all('/v1/models', methodNotAllowed(['GET']));
  app.all('/v1/models/:name', methodNotAllowed(['GET']));
  app.all('/v1/webhooks/training', methodNotAllowed(['POST']));
  app.all('/v1/feedback', methodNotAllowed(['POST']));
  app.all('/v1/models/:name/:action{promote|rollback|versions}', methodNotAllowed(['POST']));
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
