/**
 * Turning a fuzz case's request into a Fetch `Request`, and answering it within a deadline: shared
 * by the fuzz test inside workerd (which hands the Request to the Worker's handler) and the soak
 * (which fetches it over 127.0.0.1).
 */
import { streamOf, type FuzzRequest } from './requests.ts';

/**
 * The Fetch Request for `r` at `origin` (`http://127.0.0.1:8787`). A streamed body goes without
 * Content-Length (chunked over HTTP).
 *
 * @example
 * const res = await fetch(toRequest('http://127.0.0.1:8787', fuzzer.caseAt(0).steps[0].request));
 */
export function toRequest(origin: string, r: FuzzRequest, opts: { asciiHeaders?: boolean } = {}): Request {
  const headers = new Headers();
  for (const [k, v] of r.headers) headers.append(k, opts.asciiHeaders ? asciiOnly(v) : v);
  const body = r.body === undefined ? undefined : r.body instanceof Uint8Array ? r.body : streamOf(r.body);
  // `duplex` is what Node's fetch needs for a streamed body; workerd ignores it.
  return new Request(`${origin}${r.path}`, { method: r.method, headers, body, duplex: 'half' } as RequestInit);
}

/**
 * A header value with its bytes over 0x7e written as `\xNN`. workerd carries such bytes in a Request
 * made in JavaScript only by encoding them as UTF-8, with a warning on its stderr for each; over
 * HTTP (the soak) they travel raw.
 */
function asciiOnly(value: string): string {
  return value.replace(/[^\x20-\x7e\t]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A request that did not answer in time. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/**
 * The answer of `send()` read whole (status, headers, body as text), or DeadlineExceeded after `ms`.
 *
 * @example
 * const answer = await answerWithin(10_000, () => fetch(request));
 */
export async function answerWithin(ms: number, send: (signal: AbortSignal) => Promise<Response>): Promise<{ status: number; headers: Headers; body: string }> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineExceeded(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([
      (async () => {
        const res = await send(controller.signal);
        return { status: res.status, headers: res.headers, body: await res.text() };
      })(),
      deadline,
    ]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
