import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { allowHeader } from './methods.ts';

/** Statuses a client error can carry (RFC 9110 section 15.5; 429: RFC 6585). */
export type ClientErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429;

/** A refusal that is the server's, not the request's: switched off, not configured, or a dependency down. */
export type UnavailableStatus = 503;

/** The one error shape of the API: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * A refusal to answer, with its HTTP status, a stable machine code and a message naming what is
 * wrong. Anything thrown that is not an ApiError (nor another error carrying a 4xx status and a code,
 * such as src/image's ImageError) is an unexpected failure: 500, no details.
 *
 * @example
 * throw new ApiError(415, 'unsupported_media_type', 'send application/json, image/png or image/jpeg');
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ClientErrorStatus | UnavailableStatus,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An error body, as a value (for tests and the handlers below). */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * Hono's onError: an ApiError (or any error with a 4xx `status` and a string `code`) becomes its
 * JSON answer; everything else is logged and answered with a bare 500, never a stack or a secret.
 */
export function onError(err: Error, c: Context): Response {
  const known = asClientError(err);
  if (known) {
    for (const [k, v] of Object.entries(known.headers)) c.header(k, v);
    return c.json(errorBody(known.code, known.message), known.status as ContentfulStatusCode);
  }
  console.error('unexpected failure', err);
  return c.json(errorBody('internal_error', 'the server failed to answer; try again later'), 500);
}

/** Hono's notFound: 404 in the API's error shape. */
export function notFound(c: Context): Response {
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}

/** A handler for every method a path does not serve: 405 with the Allow header (RFC 9110 15.5.6). */
export function methodNotAllowed(allowed: string[]) {
  const allow = allowHeader(allowed);
  return (c: Context): Response => {
    c.header('Allow', allow);
    return c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${new URL(c.req.url).pathname}; use ${allowed.join(' or ')}`), 405);
  };
}

function asClientError(err: unknown): { status: number; code: string; message: string; headers: Record<string, string> } | null {
  if (err instanceof ApiError) return err;
  const e = err as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.code === 'string' && typeof e.message === 'string') {
    return { status: e.status, code: e.code, message: e.message, headers: {} };
  }
  return null;
}
