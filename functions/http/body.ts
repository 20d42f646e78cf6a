import { ApiError } from './errors.ts';

/** The media type of a Content-Type header, lower-cased, without parameters ('' when absent). */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Reads a request body into memory, refusing it with 413 as soon as it is known to exceed
 * `maxBytes`: from Content-Length before anything is read (a body declared within the limit is
 * read in one call: the HTTP runtime ends it at its declared length), else while counting the
 * stream (a chunked body is cancelled at the first byte over the limit, never read whole). A body
 * whose stream breaks off is refused with 400 `incomplete_body`.
 *
 * @example
 * const bytes = await readBody(c.req.raw, MAX_JSON_BYTES, 'JSON body');
 */
export async function readBody(request: Request, maxBytes: number, what = 'request body'): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get('content-length');
  // The declared length (NaN when there is none, or the body is chunked).
  const length = declared !== null && !request.headers.has('transfer-encoding') ? Number(declared) : NaN;
  if (Number.isSafeInteger(length) && length >= 0) {
    if (length > maxBytes) throw tooLarge(what, maxBytes, `${length} bytes`);
    if (request.body) {
      try {
        return new Uint8Array(await request.arrayBuffer());
      } catch (e) {
        throw brokeOff(what, e);
      }
    }
  }
  if (!request.body) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (e) {
      throw brokeOff(what, e);
    }
    const { done, value } = next;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(what, maxBytes, 'more');
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The request's own stream broke off (its client went away mid-body): the request's fault. */
function brokeOff(what: string, e: unknown): ApiError {
  return new ApiError(400, 'incomplete_body', `the ${what} broke off before its end (${(e as Error).message}); send it whole`);
}

function tooLarge(what: string, maxBytes: number, got: string): ApiError {
  return new ApiError(413, 'payload_too_large', `the ${what} may hold at most ${maxBytes} bytes; this one has ${got}`);
}
