import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// GET /openapi.json as a third-party validator (@apidevtools/swagger-parser, OpenAPI 3.1) and a
// reader see it: a valid document that names every route the app serves, with the error shapes and
// security schemes of each. The answers themselves are checked against it inside workerd
// (test/worker/openapi.test.ts).

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });

type Operation = OpenAPIV3_1.OperationObject;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('GET /openapi.json', () => {
  let doc: OpenAPIV3_1.Document;
  const operations = () =>
    Object.entries(doc.paths!).flatMap(([path, item]) => METHODS.filter((m) => item![m]).map((m) => ({ path, method: m, op: item![m] as Operation })));

  beforeAll(async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenAPIV3_1.Document;
  });

  it('is an OpenAPI 3.1 document that a third-party validator accepts', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // validate() resolves the document in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('the validator refuses a broken copy (it really validates)', async () => {
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> };
    broken.paths['/v1/predict'].post.responses = { 200: { content: {} } }; // a response without its description
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow(/description/);
  });

  it('documents every route the app serves, and only those', () => {
    // The app's own table: handlers for one method (not `all`: the 405s and the middleware), no wildcards.
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.includes('*') && r.path !== '/v2/') // `/v2/`: an undocumented alias of `/v2`
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    expect([...documented].sort()).toEqual([...served].sort());
    expect(documented.size).toBe(22);
  });

  it('every refusal has the error shape of its API: { error: { code, message } } on /v1, { error } on /v2', () => {
    for (const { path, method, op } of operations()) {
      const refusals = Object.entries(op.responses!).filter(([status]) => Number(status) >= 400 && !(path === '/v2/health/ready' && status === '503'));
      const shape = path.startsWith('/v2') ? '#/components/schemas/InferenceError' : '#/components/schemas/Error';
      for (const [status, response] of refusals) {
        const schema = (response as OpenAPIV3_1.ResponseObject).content?.['application/json']?.schema as OpenAPIV3_1.ReferenceObject;
        expect(schema?.$ref, `${method} ${path} ${status}`).toBe(shape);
      }
      if (path !== '/healthz' && path !== '/openapi.json' && path !== '/v1/models' && !path.startsWith('/v2/health') && path !== '/v2') {
        expect(refusals.length, `${method} ${path} documents its refusals`).toBeGreaterThan(0);
      }
    }
    expect(doc.components!.schemas!.Error).toMatchObject({ required: ['error'], properties: { error: { required: ['code', 'message'] } } });
    expect(doc.components!.schemas!.InferenceError).toMatchObject({ required: ['error'], properties: { error: { type: 'string' } } });
  });

  it('names its security: the admin bearer on the admin routes, all three Standard Webhooks headers on the webhook', () => {
    const schemes = doc.components!.securitySchemes as Record<string, OpenAPIV3_1.SecuritySchemeObject>;
    expect(schemes.adminBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [key, header] of [['webhookId', 'webhook-id'], ['webhookTimestamp', 'webhook-timestamp'], ['webhookSignature', 'webhook-signature']]) {
      expect(schemes[key]).toMatchObject({ type: 'apiKey', in: 'header', name: header });
    }
    for (const { path, method, op } of operations()) {
      const admin = path.startsWith('/v1/admin') || /\/(promote|rollback|versions)$/.test(path) && path.startsWith('/v1/');
      if (admin) expect(op.security, `${method} ${path}`).toEqual([{ adminBearer: [] }]);
      else if (path === '/v1/webhooks/training') expect(op.security).toEqual([{ webhookId: [], webhookTimestamp: [], webhookSignature: [] }]);
      else expect(op.security, `${method} ${path}`).toBeUndefined();
    }
  });

  it('describes the bodies each route takes: JSON, images, multipart, ONNX bytes', () => {
    const body = (path: string) => (doc.paths![path]!.post!.requestBody as OpenAPIV3_1.RequestBodyObject).content;
    expect(Object.keys(body('/v1/predict')).sort()).toEqual(['application/json', 'application/octet-stream', 'image/jpeg', 'image/png', 'multipart/form-data']);
    expect(body('/v1/predict')['application/json'].schema).toEqual({ $ref: '#/components/schemas/PixelsBody' });
    expect(Object.keys(body('/v1/models/{name}/versions'))).toEqual(['application/octet-stream']);
    expect(body('/v1/webhooks/training')['application/json'].schema).toEqual({ $ref: '#/components/schemas/Delivery' });
    expect(body('/v2/models/{name}/infer')['application/json'].schema).toEqual({ $ref: '#/components/schemas/InferenceRequest' });
    // The pixel bodies' constraints are the validating schemas' (zod's `length(784)`, `min(0)`, `max(1)`).
    expect(doc.components!.schemas!.PixelsBody).toMatchObject({
      additionalProperties: false,
      properties: { pixels: { minItems: 784, maxItems: 784, items: { type: 'number', minimum: 0, maximum: 1 } } },
    });
  });

  it('answers the same document every time (generated once per isolate)', async () => {
    const again = await (await app.request('/openapi.json')).json();
    expect(again).toEqual(doc);
  });
});
