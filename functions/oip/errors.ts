import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A refusal on /v2, answered in the Open Inference Protocol's error shape `{ "error": "message" }`:
 * 404 for a model or version that does not exist, 400 for a request the protocol or the model
 * cannot take (other statuses where HTTP names the problem better: 405, 413, 415).
 *
 * @example
 * throw new InferenceError(400, `input 'input' has shape [2, 783]; the model takes [N, 784]`);
 */
export class InferenceError extends Error {
  override name = 'InferenceError';
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** The protocol's error body. */
export function inferenceErrorBody(message: string): { error: string } {
  return { error: message };
}

/**
 * The error handler of the /v2 routes: an InferenceError, or any error with a 4xx `status` and a
 * message (the shared readers' ApiError, src/image's ImageError), becomes `{ "error": message }`
 * with its status; anything else is logged and answered 500 without details.
 */
export function onInferenceError(err: Error, c: Context): Response {
  const e = err as { status?: unknown; message?: unknown; headers?: Record<string, string> };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.message === 'string') {
    for (const [k, v] of Object.entries(e.headers ?? {})) c.header(k, v);
    return c.json(inferenceErrorBody(e.message), e.status as ContentfulStatusCode);
  }
  console.error('unexpected failure', err);
  return c.json(inferenceErrorBody('the server failed to answer; try again later'), 500);
}
