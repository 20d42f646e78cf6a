import { cors } from 'hono/cors';
import { adminRoute } from './admin/route.ts';
import type { AppDeps, AppEnv, Bindings } from './context.ts';
import { feedbackOriginAllowed } from './feedback/origins.ts';
import { feedbackRoute } from './feedback/route.ts';
import { healthRoute } from './health/route.ts';
import { methodNotAllowed, notFound, onError } from './http/errors.ts';
import { refuseOtherMethods } from './http/methods.ts';
import { ApiApp } from './http/openapi.ts';
import { securityHeaders } from './http/security.ts';
import { modelsRoute } from './models/route.ts';
import { inferenceRoute } from './oip/route.ts';
import { openapiRoute } from './openapi/route.ts';
import { predictRoute } from './predict/route.ts';
import { webhookRoute } from './webhooks/route.ts';

/**
 * CORS for the API: any origin may call it from a browser, without credentials (it has no cookies
 * or user sessions). Preflights are answered for GET and POST with a Content-Type header.
 */
export const CORS: Parameters<typeof cors>[0] = { origin: '*', allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: ['Content-Type'], maxAge: 86400 };

/** The path whose CORS is the page's own origin (and FEEDBACK_ORIGINS) only: corrections. */
export const FEEDBACK_PATH = '/v1/feedback';

/**
 * CORS for POST /v1/feedback: only the page's own origin and FEEDBACK_ORIGINS get
 * Access-Control-Allow-Origin (their own, with Vary: Origin); a preflight from anywhere else is
 * answered without it, so the browser sends nothing (feedback/origins.ts).
 */
export const FEEDBACK_CORS: Parameters<typeof cors>[0] = {
  ...CORS,
  allowMethods: ['POST', 'OPTIONS'],
  origin: (origin, c) => (origin && feedbackOriginAllowed(origin, new URL(c.req.url).origin, c.env as Bindings | undefined) ? origin : null),
};

/**
 * The Worker's Hono app: thin routes over src/ (see each route module), each declared once with its
 * OpenAPI description (GET /openapi.json). Every error on /v1 is JSON `{ "error": { "code", "message" } }`:
 * 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503, or a bare 500; the Open Inference
 * Protocol's routes under /v2 answer in its own shape, `{ "error": "message" }` (oip/errors.ts).
 *
 * @example
 * const app = createApp({ catalog, engines });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps) {
  const app = new ApiApp<AppEnv>();
  app.use('*', securityHeaders); // first: it also wraps the preflights cors answers by itself
  const anyOrigin = cors(CORS);
  const feedbackOrigins = cors(FEEDBACK_CORS);
  app.use('*', (c, next) => (c.req.path === FEEDBACK_PATH ? feedbackOrigins(c, next) : anyOrigin(c, next)));
  const routes = app
    .route('/', healthRoute())
    .route('/', predictRoute(deps))
    .route('/', modelsRoute(deps))
    .route('/', webhookRoute(deps))
    .route('/', feedbackRoute(deps))
    .route('/', adminRoute(deps))
    .route('/', inferenceRoute(deps));
  // Last, so that the document holds every route above.
  const withDocument = routes.route('/', openapiRoute(app));
  // Known paths, other methods: 405 with Allow, from the routes themselves.
  refuseOtherMethods(app, methodNotAllowed);
  app.notFound(notFound);
  app.onError(onError);
  return withDocument;
}

/** The app's routes as types: what the typed client (client/index.ts) is built from. */
export type AppType = ReturnType<typeof createApp>;
