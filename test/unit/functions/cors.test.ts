import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// CORS as the README states it: any origin may call the API from a browser, without credentials,
// sending Content-Type only; so no page on another origin can send the admin token's
// Authorization header, nor read an answer with cookies. (Headers on every answer: security-headers.test.ts.)

const model = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: model }]), engines: new Engines(() => { throw new Error('core only'); }) });
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
