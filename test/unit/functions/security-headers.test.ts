import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { API_SECURITY_HEADERS } from '../../../functions/http/security.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// Every answer of the Worker carries the API's security headers (answers, errors, preflights),
// and CORS is what it was. The page's headers come from page/public/_headers: test/browser checks them.

const model = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: model }]), engines: new Engines() });
const env = { INFERENCE_ENGINE: 'core' };

describe('security headers on the API', () => {
  const requests: Array<[string, RequestInit, number]> = [
    ['/healthz', {}, 200],
    ['/v1/models', { headers: { origin: 'https://example.com' } }, 200],
    ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: new Array(784).fill(0.5) }) }, 200],
    ['/v1/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }, 415],
    ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }, 400],
    ['/v1/predict', {}, 405],
    ['/nowhere', {}, 404],
    ['/v1/predict', { method: 'OPTIONS', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' } }, 204],
  ];
  for (const [path, init, status] of requests) {
    it(`${init.method ?? 'GET'} ${path} (${status})`, async () => {
      const res = await app.request(path, init, env);
      expect(res.status).toBe(status);
      for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    });
  }
});
