import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { dispatch } from '../../../functions/dispatch.ts';
import { servedMethods } from '../../../functions/http/methods.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { createPredictApp } from '../../../functions/predict-app.ts';

// The main Worker serves /healthz and /v1/predict by the predict app; the API Worker serves them by
// the whole app (its tests call it): both must answer those paths byte for byte alike.

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const deps = () => ({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });
const pixels = JSON.stringify({ pixels: Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255) });
const json = { 'content-type': 'application/json' };

const REQUESTS: Array<[string, RequestInit?]> = [
  ['/healthz'],
  ['/healthz', { method: 'HEAD' }],
  ['/healthz', { method: 'POST' }],
  ['/v1/predict', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?include=input', { method: 'POST', headers: { ...json, origin: 'https://elsewhere.example' }, body: pixels }],
  ['/v1/predict?include=everything', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?model=nobody', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?model=digits&model=digits', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?model=Not+A+Name&include=everything', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?include=input,,%20input&include=', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict?model=', { method: 'POST', headers: json, body: pixels }],
  ['/v1/predict', { method: 'POST', headers: json, body: JSON.stringify({ pixels: Array.from({ length: 784 }, (_, i) => (i === 17 ? 2 : 0)) }) }],
  ['/v1/predict', { method: 'POST', headers: json, body: JSON.stringify({ pixels: [0, 1], label: 3 }) }],
  ['/v1/predict', { method: 'POST', headers: json, body: '{"pixels":' }],
  ['/v1/predict', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array([0x89, 0x50]) }],
  ['/v1/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
  ['/v1/predict'],
  ['/v1/predict', { method: 'DELETE' }],
  ['/v1/predict', { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }],
];

async function answer(res: Response) {
  const headers: string[] = [];
  res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  return { status: res.status, headers: headers.sort(), body: await res.text() };
}

describe('the predict app', () => {
  it('serves /healthz and /v1/predict, nothing else', () => {
    expect([...servedMethods(createPredictApp(deps()).routes)]).toEqual([['/healthz', ['GET']], ['/v1/predict', ['POST']]]);
  });

  it('answers its paths as the whole app does: answers, refusals, errors, CORS and headers', async () => {
    const hot = createPredictApp(deps());
    const whole = createApp(deps());
    for (const [path, init] of REQUESTS) {
      const expected = await answer(await whole.request(path, init));
      expect(await answer(await hot.request(path, init)), `${init?.method ?? 'GET'} ${path}`).toEqual(expected);
    }
  });
});

describe('dispatch', () => {
  it('serves the hot paths by the hot app, and hands every other request to the rest as it came', async () => {
    const shared = deps();
    const whole = createApp(shared);
    const handed: string[] = [];
    const serve = dispatch(createPredictApp(shared), async (request: Request) => (handed.push(`${request.method} ${request.url}`), whole.fetch(request)));
    const get = (path: string, init?: RequestInit) => serve(new Request(`http://worker${path}`, init), {}, { waitUntil() {}, passThroughOnException() {}, props: {} });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/v1/predict', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect((await get('/v1/predict')).status).toBe(405);
    // The path as Hono's router reads it: a query string, or an escaped letter, keeps it on the hot app.
    expect((await get('/v1/predict?include=input', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect((await get('/v1/predic%74', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect(handed).toEqual([]);
    expect((await get('/v1/models')).status).toBe(200);
    expect((await get('/openapi.json?x=1')).status).toBe(200);
    expect((await get('/nowhere', { method: 'DELETE' })).status).toBe(404);
    expect(handed).toEqual(['GET http://worker/v1/models', 'GET http://worker/openapi.json?x=1', 'DELETE http://worker/nowhere']);
  });
});
