/**
 * The shape of a fuzz case (requests and what each must answer) and the small helpers the case
 * builders share (predict-cases.ts, webhook-cases.ts). Web-standard APIs only.
 */

/** A body the runner streams without Content-Length (chunked), `total` bytes of `fill`. */
export interface StreamedBody {
  stream: true;
  total: number;
  chunk: number;
  fill: number;
}

export interface FuzzRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Array<[string, string]>;
  body?: Uint8Array<ArrayBuffer> | StreamedBody;
}

/** What one answer may be (besides oracle.ts's invariants). */
export interface Expectation {
  /** The statuses allowed. */
  statuses: readonly number[];
  /** When given, the error codes allowed for a 4xx. */
  codes?: readonly string[];
  /** A valid delivery: the 202 must say this id and count, and whether it is a duplicate (absent: not one). */
  accepts?: { delivery: string; examples: number; duplicate?: boolean };
}

export interface FuzzStep {
  request: FuzzRequest;
  expect: Expectation;
}

/** What a builder makes: usually one request; a replay case is a delivery, its retries, a conflict and a redelivery, in order. */
export interface BuiltCase {
  /** What was done to the input, in words (for a failure report). */
  detail: string;
  steps: FuzzStep[];
}

export const PREDICT = '/v1/predict';
export const WEBHOOK = '/v1/webhooks/training';

export const OK = [200] as const;
export const CLIENT_ERRORS = [400, 413, 415, 422] as const;
export const ANY_ANSWER = [200, ...CLIENT_ERRORS] as const;

export const one = (detail: string, request: FuzzRequest, expect: Expectation): BuiltCase => ({ detail, steps: [{ request, expect }] });

export const post = (path: string, contentType: string | null, body: Uint8Array<ArrayBuffer> | StreamedBody, extra: Array<[string, string]> = []): FuzzRequest => ({
  method: 'POST', path, headers: [...(contentType === null ? [] : [['content-type', contentType] as [string, string]]), ...extra], body,
});

export const utf8 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(new TextEncoder().encode(s));
export const json = (value: unknown): Uint8Array<ArrayBuffer> => utf8(JSON.stringify(value));
export const ab = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** The total bytes of a request body (a streamed one counts what it would stream). */
export function bodyLength(body: FuzzRequest['body']): number {
  if (!body) return 0;
  return body instanceof Uint8Array ? body.length : body.total;
}

/** A ReadableStream of a streamed body (fresh each call). */
export function streamOf(body: StreamedBody): ReadableStream<Uint8Array> {
  let sent = 0;
  const piece = new Uint8Array(body.chunk).fill(body.fill);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= body.total) return controller.close();
      const n = Math.min(body.chunk, body.total - sent);
      sent += n;
      controller.enqueue(n === body.chunk ? piece.slice() : piece.slice(0, n));
    },
  });
}

/** A one-line description of a request, for failure reports (no body bytes). */
export function describeRequest(r: FuzzRequest): string {
  const headers = r.headers.map(([k, v]) => `${k}: ${JSON.stringify(v).slice(0, 60)}`).join('; ');
  return `${r.method} ${r.path.slice(0, 80)} [${headers}] body ${bodyLength(r.body)} bytes${r.body && !(r.body instanceof Uint8Array) ? ' (streamed)' : ''}`;
}
