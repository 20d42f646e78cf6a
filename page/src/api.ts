/**
 * The page's calls to the Worker's API, same origin, through the typed client (client/index.ts).
 * Every failure becomes an ApiFailure whose message can be shown as it is: the API's own error
 * message, or what went wrong on the way.
 */
import { createClient, type InferResponseType } from '../../client/index.ts';

/** Same origin: the client's paths stay relative (`/v1/predict`). */
const api = createClient('');

/** The answer of POST /v1/predict?include=input. */
export type Prediction = InferResponseType<typeof api.v1.predict.$post, 200> & {
  /** The 784 pixels the model saw, in [0, 1], row-major 28 x 28, ink high. */
  input: number[];
};

export type ModelId = Prediction['model'];

/** The answer of POST /v1/feedback: the correction is durably queued for training. */
export type FeedbackReceipt = InferResponseType<typeof api.v1.feedback.$post, 202>;

/**
 * A call that did not give the expected answer. `status` 0 means no answer came back (offline,
 * server down); `retryAfter` is in seconds (from Retry-After, e.g. on 429).
 */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * Classifies an image (a PNG or JPEG blob) and asks for the 28 x 28 input the model saw.
 *
 * @example
 * const p = await predict(await canvasBlob); // p.digit, p.probabilities, p.input
 */
export function predict(image: Blob): Promise<Prediction> {
  const headers = { 'content-type': image.type || 'application/octet-stream' };
  return call<Prediction>(() => api.v1.predict.$post({ query: { include: 'input' } }, { headers, init: { body: image } }));
}

/**
 * Sends the right label for the pixels the model saw, for training.
 *
 * @example
 * await sendFeedback(prediction.input, 7); // { accepted: 1, delivery: '...' }
 */
export function sendFeedback(pixels: number[], label: number): Promise<FeedbackReceipt> {
  return call<FeedbackReceipt>(() => api.v1.feedback.$post({ json: { pixels, label } }));
}

/**
 * The served models and their current versions.
 *
 * @example
 * const { models } = await listModels();
 */
export function listModels(): Promise<{ models: ModelId[] }> {
  return call(() => api.v1.models.$get(undefined, { headers: { accept: 'application/json' } }));
}

async function call<T>(request: () => Promise<Response>): Promise<T> {
  let res: Response;
  try {
    res = await request();
  } catch {
    throw navigator.onLine
      ? new ApiFailure(0, 'network', 'The server could not be reached. Check your connection and try again.')
      : new ApiFailure(0, 'offline', 'You are offline: the model runs on the server, so it needs a connection.');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
    const message = typeof error?.message === 'string' ? error.message : `the server answered ${res.status} ${res.statusText}`.trim();
    throw new ApiFailure(res.status, code, message, retryAfterSeconds(res.headers.get('retry-after')));
  }
  if (body === undefined) throw new ApiFailure(res.status, 'not_json', `the server answered ${res.status} without JSON`);
  return body as T;
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
