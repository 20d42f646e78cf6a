import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv, Bindings } from './context.ts';
import { feedbackOriginAllowed } from './feedback/origins.ts';
import { methodNotAllowed, notFound, onError } from './http/errors.ts';
import { refuseOtherMethods } from './http/methods.ts';
import { securityHeaders } from './http/security.ts';

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
 * Frames an app of the Worker before its routes: security headers on every answer, then CORS.
 * Every app the Worker serves (app.ts, predict-app.ts) starts here and ends with `closeApp`, so
 * that a path answers the same whichever app serves it.
 *
 * @example
 * const app = openApp(new ApiApp<AppEnv>()).route('/', healthRoute());
 * closeApp(app);
 */
export function openApp<A extends Hono<AppEnv>>(app: A): A {
  app.use('*', securityHeaders); // first: it also wraps the preflights cors answers by itself
  const anyOrigin = cors(CORS);
  const feedbackOrigins = cors(FEEDBACK_CORS);
  app.use('*', (c, next) => (c.req.path === FEEDBACK_PATH ? feedbackOrigins(c, next) : anyOrigin(c, next)));
  return app;
}

/** After the routes: other methods of known paths get 405 with Allow (from the routes themselves), unknown paths 404, failures the API's error. */
export function closeApp(app: Hono<AppEnv>): void {
  refuseOtherMethods(app, methodNotAllowed);
  app.notFound(notFound);
  app.onError(onError);
}
