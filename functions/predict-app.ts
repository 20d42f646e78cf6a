import type { AppDeps } from './context.ts';
import { closeApp, openApp } from './frame.ts';
import { healthRoute } from './health/route.ts';
import { predictRoute } from './predict/route.ts';

/**
 * The app of the Worker's hot paths, GET /healthz and POST /v1/predict: the same routes, in the same
 * frame, as the whole app (app.ts), without the others. A fresh isolate builds only this one, so
 * its start and its first prediction do not pay for the schemas, handlers and routing of routes
 * they never use; the whole app is built on the first request for any other path (index.ts).
 *
 * @example
 * const app = createPredictApp({ catalog, engines });
 * const res = await app.request('/healthz');
 */
export function createPredictApp(deps: AppDeps) {
  const app = openApp();
  const routes = app.route('/', healthRoute()).route('/', predictRoute(deps));
  closeApp(app);
  return routes;
}
