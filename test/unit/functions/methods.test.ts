import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { allowHeader, servedMethods } from '../../../functions/http/methods.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// The 405 answers come from the routes themselves: every path the document names refuses every
// method it does not serve, with Allow listing the ones it does, in the error shape of its API.

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const ADMIN_TOKEN = 'a-token-for-this-test';

describe('servedMethods', () => {
  it('groups one-method handlers by path, leaving out `all` handlers and wildcard middleware', () => {
    const served = servedMethods([
      { method: 'ALL', path: '/*' },
      { method: 'POST', path: '/v1/predict' },
      { method: 'POST', path: '/v1/predict' },
      { method: 'GET', path: '/v1/admin/*' },
      { method: 'POST', path: '/v1/items/:id' },
      { method: 'GET', path: '/v1/items/:id' },
      { method: 'ALL', path: '/v1/items/:id' },
    ]);
    expect([...served]).toEqual([['/v1/predict', ['POST']], ['/v1/items/:id', ['GET', 'POST']]]);
  });

  it('Allow: HEAD with GET, OPTIONS always', () => {
    expect(allowHeader(['GET'])).toBe('GET, HEAD, OPTIONS');
    expect(allowHeader(['POST'])).toBe('POST, OPTIONS');
    expect(allowHeader(['GET', 'POST'])).toBe('GET, POST, HEAD, OPTIONS');
  });
});

describe('405 on every documented path', () => {
  let paths: Array<[string, string[]]>;

  beforeAll(async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as OpenAPIV3_1.Document;
    paths = Object.entries(doc.paths!).map(([path, item]) => [path, METHODS.filter((m) => item![m.toLowerCase() as 'get'])]);
  });

  it('covers every route, the admin ones and /v2 included', () => {
    const names = paths.map(([path]) => path);
    expect(names).toContain('/v1/admin/deadletters');
    expect(names).toContain('/v1/admin/deadletters/{id}/replay');
    expect(names).toContain('/v2/models/{name}/infer');
    expect(paths.length).toBeGreaterThanOrEqual(20);
  });

  it('answers each method a path does not serve with 405 and Allow', async () => {
    let refused = 0;
    for (const [path, allowed] of paths) {
      const url = path.replace('{name}', 'digits').replace('{version}', '1').replace('{id}', 'an-id');
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        // With the admin token, so that the admin guard lets the request reach the route table.
        const res = await app.request(url, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, { ADMIN_TOKEN });
        const what = `${method} ${path}`;
        expect(res.status, what).toBe(405);
        expect(res.headers.get('allow'), what).toBe(allowHeader(allowed));
        const body = await res.json();
        const message = `${method} is not allowed on ${url}; use ${allowed.join(' or ')}`;
        expect(body, what).toEqual(path.startsWith('/v2') ? { error: message } : { error: { code: 'method_not_allowed', message } });
        refused++;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(paths.length * 4);
  });

  it('a method the admin guard does not cover is refused without a token', async () => {
    const res = await app.request('/v1/admin/deadletters', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});
