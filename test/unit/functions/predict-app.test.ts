import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { dispatch } from '../../../functions/dispatch.ts';
import { servedMethods } from '../../../functions/http/methods.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { createPredictApp } from '../../../functions/predict-app.ts';

// A fresh isolate serves /healthz and /v1/predict by the predict app and builds the whole app on
// the first request for another path: both must answer those paths byte for byte alike.

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

// What a fresh isolate evaluates: the modules functions/index.ts reaches by static imports, in the
// bundler's own import graph (a dynamic import becomes a module evaluated on first use). zod and the
// OpenAPI generator behind the routes' declarations (about a third of the script) are for the other
// routes and the document, loaded by the first request that needs them.
describe('the modules a fresh isolate evaluates', () => {
  it("hold none of zod, the OpenAPI generator or any route's declaration", async () => {
    const root = join(import.meta.dirname, '../../..');
    const { metafile } = await build({
      entryPoints: [join(root, 'functions/index.ts')], bundle: true, write: false, metafile: true, format: 'esm', platform: 'neutral',
      mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'browser'], external: ['cloudflare:workers'],
      loader: { '.onnx': 'empty', '.wasm': 'empty' }, logLevel: 'silent',
    });
    const entry = Object.keys(metafile.inputs).find((k) => k.endsWith('functions/index.ts'))!;
    const evaluated = new Set<string>();
    const walk = (path: string): void => {
      if (evaluated.has(path) || !metafile.inputs[path]) return;
      evaluated.add(path);
      for (const i of metafile.inputs[path].imports) if (i.kind !== 'dynamic-import') walk(i.path);
    };
    walk(entry);
    const ours = [...evaluated].filter((p) => !p.includes('node_modules'));
    expect(ours).toContain('functions/predict/handler.ts');
    expect(ours.filter((p) => /\/(spec|route)\.ts$/.test(p) || p.endsWith('functions/app.ts'))).toEqual([]);
    expect([...evaluated].filter((p) => /node_modules\/(@hono\/zod-openapi|@asteasolutions|zod)\//.test(p))).toEqual([]);
  });
});

describe('dispatch', () => {
  it('serves the hot paths without building the whole app, and builds it once for the others', async () => {
    const shared = deps();
    let builds = 0;
    const serve = dispatch(createPredictApp(shared), async () => (builds++, createApp(shared)));
    const get = (path: string, init?: RequestInit) => serve(new Request(`http://worker${path}`, init), {}, { waitUntil() {}, passThroughOnException() {}, props: {} });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/v1/predict', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect((await get('/v1/predict')).status).toBe(405);
    // The path as Hono's router reads it: a query string, or an escaped letter, keeps it on the hot app.
    expect((await get('/v1/predict?include=input', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect((await get('/v1/predic%74', { method: 'POST', headers: json, body: pixels })).status).toBe(200);
    expect(builds).toBe(0);
    expect((await get('/v1/models')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
    expect((await get('/nowhere')).status).toBe(404);
    expect(builds).toBe(1);
  });
});
