import { describe, expect, it } from 'vitest';
import { forward } from '../../../functions/forward.ts';

describe('forward', () => {
  it('hands the request as it came and answers with the other Worker\'s answer', async () => {
    const seen: Request[] = [];
    const request = new Request('http://worker/v1/models?x=1', { method: 'POST', headers: { 'cf-connecting-ip': '192.0.2.1' }, body: 'abc' });
    const res = await forward(request, { fetch: async (r) => (seen.push(r), new Response('from the API', { status: 202 })) });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('from the API');
    expect(seen).toEqual([request]);
  });

  it('answers 503 api_unavailable with Retry-After when the other Worker is not bound or fails', async () => {
    const failing = { fetch: async () => Promise.reject(new Error('connection reset')) };
    for (const service of [undefined, failing]) {
      const res = await forward(new Request('http://worker/v1/models'), service);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.json()).toEqual({ error: { code: 'api_unavailable', message: 'the API Worker did not answer; try again later' } });
    }
  });
});
