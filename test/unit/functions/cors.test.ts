import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// CORS as docs/api.md states it: any origin may call the API from a browser, without credentials,
// sending Content-Type only; so no page on another origin can send the admin token's
// Authorization header, nor read an answer with cookies. Corrections (POST /v1/feedback) only from
// the page's own origin and FEEDBACK_ORIGINS. (Headers on every answer: security-headers.test.ts.)

const model = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: model }]), engines: new Engines() });
const preflight = (path: string, method: string, headers: string) =>
  app.request(path, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': method, 'access-control-request-headers': headers } }, { INFERENCE_ENGINE: 'core' });

describe('CORS for the API', () => {
  it('a preflight allows GET and POST with Content-Type, from any origin, without credentials', async () => {
    const res = await preflight('/v1/predict', 'POST', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')?.split(',').map((m) => m.trim()).sort()).toEqual(['GET', 'OPTIONS', 'POST']);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toBe('content-type');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each([
    ['/v1/models/digits/rollback', 'POST', 'authorization'],
    ['/v1/admin/deadletters', 'GET', 'authorization, content-type'],
    ['/v1/webhooks/training', 'POST', 'webhook-id, webhook-timestamp, webhook-signature, content-type'],
  ])('%s: a preflight for %s with %s does not allow those headers (browsers on other origins cannot send them)', async (path, method, headers) => {
    const res = await preflight(path, method, headers);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',').map((h) => h.trim());
    for (const h of headers.split(',').map((x) => x.trim()).filter((x) => x !== 'content-type')) expect(allowed).not.toContain(h);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers, errors included, allow any origin and never credentials', async () => {
    for (const [path, init] of [['/v1/models', {}], ['/v1/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }], ['/v1/admin/deadletters', {}]] as const) {
      const res = await app.request(path, { ...init, headers: { ...('headers' in init ? init.headers : {}), origin: 'https://elsewhere.example' } }, { INFERENCE_ENGINE: 'core', ADMIN_TOKEN: 't' });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });
});

describe('CORS for corrections (POST /v1/feedback): the page\'s own origin and FEEDBACK_ORIGINS only', () => {
  // app.request's URLs are http://localhost/...: the Worker's own origin is http://localhost.
  const OWN = 'http://localhost';
  const env = (origins?: string) => ({ INFERENCE_ENGINE: 'core', ...(origins === undefined ? {} : { FEEDBACK_ORIGINS: origins }) });
  const feedbackPreflight = (origin: string, origins?: string) =>
    app.request('/v1/feedback', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }, env(origins));
  const correction = (headers: Record<string, string>, origins?: string) =>
    app.request('/v1/feedback', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ pixels: new Array(784).fill(0), label: 3 }) }, env(origins));

  it('a preflight from another origin gets no Access-Control-Allow-Origin: the browser sends nothing', async () => {
    for (const origin of ['https://elsewhere.example', 'null', 'http://localhost:8080', 'https://localhost']) {
      const res = await feedbackPreflight(origin);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('a preflight from the page\'s own origin, or one FEEDBACK_ORIGINS lists, is granted for that origin alone', async () => {
    const own = await feedbackPreflight(OWN);
    expect(own.status).toBe(204);
    expect(own.headers.get('access-control-allow-origin')).toBe(OWN);
    expect(own.headers.get('access-control-allow-methods')).toBe('POST,OPTIONS');
    const listed = await feedbackPreflight('https://digits.example', 'https://digits.example, https://staging.digits.example:8443');
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://digits.example');
    expect((await feedbackPreflight('https://staging.digits.example:8443', 'https://digits.example https://staging.digits.example:8443')).headers.get('access-control-allow-origin')).toBe('https://staging.digits.example:8443');
    expect((await feedbackPreflight('https://other.example', 'https://digits.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a POST with another Origin (a simple request skips the preflight) is refused: 403 origin_not_allowed, JSON, no CORS grant', async () => {
    const res = await correction({ origin: 'https://elsewhere.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'origin_not_allowed', message: expect.stringContaining('https://elsewhere.example') } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await correction({ origin: 'null' })).status).toBe(403);
  });

  it('a POST from the page\'s own origin, a listed one, or with no Origin (not a browser) passes the origin check', async () => {
    // No queue in this app: past the check, the correction is refused for that (503), not for its origin.
    for (const [headers, origins] of [[{ origin: OWN }, undefined], [{ origin: 'https://digits.example' }, 'https://digits.example'], [{}, undefined]] as const) {
      const res = await correction(headers, origins);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('training_unavailable');
    }
    expect((await correction({ origin: OWN })).headers.get('access-control-allow-origin')).toBe(OWN);
  });

  it('predict and models keep CORS for any origin', async () => {
    for (const path of ['/v1/predict', '/v1/models']) expect((await preflight(path, 'POST', 'content-type')).headers.get('access-control-allow-origin')).toBe('*');
  });
});
