import type { MiddlewareHandler } from 'hono';

/**
 * Headers on every answer of the Worker (the API and its JSON errors). A JSON answer is never a
 * document: it may not be sniffed into script or HTML, run anything, or be framed. CORS is set
 * separately (frame.ts). The page's own headers are in page/public/_headers: static assets are
 * served without running the Worker.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/**
 * Hono middleware that sets API_SECURITY_HEADERS on the answer, errors included.
 *
 * @example
 * app.use('*', securityHeaders);
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) c.res.headers.set(name, value);
};
