import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../functions/api/index.ts';

export const ORIGIN = 'http://worker';

/**
 * Sends a request to the Worker's default-export fetch handler with the real bindings and a real
 * ExecutionContext: the same routes as SELF.fetch without the service-binding hop, which in
 * vitest-pool-workers 0.15 gets slower with every request made (cloudflare/workers-sdk#15446) and
 * would make 10,000 predictions take many minutes. A few tests go through SELF.fetch as well.
 */
export async function call(request: Request, opts: { wait?: boolean } = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
  if (opts.wait) await waitOnExecutionContext(ctx);
  return res;
}

/** Like `call`, with some bindings replaced (a var switched, a queue that records what it is sent). */
export async function callWith(request: Request, overrides: Partial<Cloudflare.Env> | Record<string, unknown>): Promise<Response> {
  const ctx = createExecutionContext();
  return worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...env, ...overrides } as Cloudflare.Env, ctx);
}

/** A POST to /v1/predict: a value is sent as JSON, a string or bytes as they are. */
export function predictRequest(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Request {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return new Request(`${ORIGIN}/v1/predict`, { method: 'POST', headers, body: raw });
}

export { SELF };

/**
 * Checks the API's error shape (JSON, CORS, only `error`) and returns the error. `allowOrigin` is
 * the Access-Control-Allow-Origin expected: `*` on the API, none on corrections sent without an Origin.
 */
export async function expectError(res: Response, status: number, code?: string, allowOrigin: string | null = '*'): Promise<{ code: string; message: string }> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('access-control-allow-origin')).toBe(allowOrigin);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.message.length).toBeGreaterThan(10);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}
