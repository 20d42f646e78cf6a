import type { AppDeps, AppEnv } from './context.ts';
import { closeApp, openApp } from './frame.ts';
import { adminRoute } from './admin/route.ts';
import { feedbackRoute } from './feedback/route.ts';
import { ApiApp } from './http/openapi.ts';
import { healthRoute } from './health/route.ts';
import { modelsRoute } from './models/route.ts';
import { inferenceRoute } from './oip/route.ts';
import { openapiRoute } from './openapi/route.ts';
import { predictRoute } from './predict/route.ts';
import { webhookRoute } from './webhooks/route.ts';

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
  const app = openApp(new ApiApp<AppEnv>());
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
  closeApp(app);
  return withDocument;
}

/** The app's routes as types: what the typed client (client/index.ts) is built from. */
export type AppType = ReturnType<typeof createApp>;
