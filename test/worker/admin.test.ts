import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { env } from 'cloudflare:test';
import { ModelProtoSchema, NodeProtoSchema } from 'onnx-buf';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import digitsOnnx from '../../models/digits.onnx';
import { Network } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { call, callWith, expectError, ORIGIN, predictRequest } from './helpers.ts';
import { manifest, pixelsExample, resetOnline, waitFor } from './online-helpers.ts';

// The admin routes: bearer auth (401/403, constant-time compare), publishing a workstation model
// (refused unless onnxruntime loads it, it maps 784 pixels to 10 values and the core imports it),
// promote and rollback.

const bundled = new Uint8Array(digitsOnnx);
const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
const upload = (bytes: Uint8Array, query = '', headers: Record<string, string> = ADMIN) =>
  call(new Request(`${ORIGIN}/v1/models/digits/versions${query}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: bytes }));
const promote = (version: unknown, headers: Record<string, string> = ADMIN) =>
  call(new Request(`${ORIGIN}/v1/models/digits/promote`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ version }) }));
const predictVersion = async () => ((await (await call(predictRequest({ pixels: pixelsExample(0).pixels }))).json()) as { model: { version: string } }).model.version;
const listed = async () => (await env.MODELS.list({ prefix: 'models/digits/' })).objects.map((o) => o.key);

/** A dense network with another shape, exported by the core (onnxruntime loads it fine). */
const otherShape = (inputs: number, outputs: number) =>
  exportOnnx(new Network({ input: [inputs], layers: [{ type: 'dense', units: outputs }, { type: 'activation', fn: 'softmax' }] }, { seed: 2 }));

/** The bundled model with two Neg operators in front: onnxruntime runs it, the core cannot import it. */
function withNegations(): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bundled);
  const graph = model.graph!;
  for (const node of graph.node) node.input = node.input.map((i) => (i === 'input' ? 'negated.twice' : i));
  graph.node.unshift(
    create(NodeProtoSchema, { name: 'neg0', opType: 'Neg', input: ['input'], output: ['negated.once'] }),
    create(NodeProtoSchema, { name: 'neg1', opType: 'Neg', input: ['negated.once'], output: ['negated.twice'] }),
  );
  return toBinary(ModelProtoSchema, model);
}

beforeEach(() => resetOnline());
afterAll(async () => {
  await resetOnline();
  await new Promise((r) => setTimeout(r, 1100));
});

describe('admin authentication', () => {
  const routes: Array<[string, string, () => RequestInit]> = [
    ['POST', '/v1/models/digits/promote', () => ({ body: '{"version":"v1"}', headers: { 'content-type': 'application/json' } })],
    ['POST', '/v1/models/digits/rollback', () => ({})],
    ['POST', '/v1/models/digits/versions', () => ({ body: bundled, headers: { 'content-type': 'application/octet-stream' } })],
    ['GET', '/v1/admin/deadletters', () => ({})],
    ['POST', '/v1/admin/deadletters/msg_x/replay', () => ({})],
  ];
  it.each(routes)('%s %s: 401 without the token, 403 with a wrong one, 503 when none is configured', async (method, path, init) => {
    const request = (headers: Record<string, string>) => {
      const i = init();
      return new Request(`${ORIGIN}${path}`, { method, ...i, headers: { ...(i.headers as Record<string, string>), ...headers } });
    };
    const missing = await call(request({}));
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectError(missing, 401, 'unauthorized');
    await expectError(await call(request({ authorization: `Basic ${btoa(`admin:${env.ADMIN_TOKEN}`)}` })), 401, 'unauthorized');
    await expectError(await call(request({ authorization: 'Bearer' })), 401, 'unauthorized');
    for (const wrong of ['wrong', env.ADMIN_TOKEN.slice(0, -1), `${env.ADMIN_TOKEN}x`, env.ADMIN_TOKEN.toUpperCase()]) {
      const e = await expectError(await call(request({ authorization: `Bearer ${wrong}` })), 403, 'forbidden');
      expect(e.message).not.toContain(env.ADMIN_TOKEN);
    }
    await expectError(await callWith(request({ authorization: `Bearer ${env.ADMIN_TOKEN}` }), { ADMIN_TOKEN: undefined }), 503, 'admin_not_configured');
    const right = await call(request({ authorization: `bearer ${env.ADMIN_TOKEN}` }));
    expect([401, 403, 503]).not.toContain(right.status);
  });
});

describe('POST /v1/models/:name/versions: publishing a model trained on the workstation', () => {
  const refused: Array<[string, () => Promise<Uint8Array> | Uint8Array, RegExp]> = [
    ['bytes that are not ONNX', () => new TextEncoder().encode('definitely not a protobuf model'), /not an ONNX model/],
    ['a truncated model', () => bundled.slice(0, bundled.length - 1000), /not an ONNX model|does not load/],
    ['a model that takes 100 inputs', () => otherShape(100, 10), /takes input \[100\]/],
    ['a model that answers 5 values', () => otherShape(784, 5), /answers 5 values/],
    ['a model the core cannot import (online training could not fine-tune it)', withNegations, /core cannot import/],
  ];
  it.each(refused)('422 for %s; nothing is written', async (_name, make, message) => {
    const e = await expectError(await upload(await make()), 422, 'invalid_model');
    expect(e.message).toMatch(message);
    expect(await listed()).toEqual([]);
  });

  it('publishes a good model as a new version with its metrics; predictions switch to it; promote moves back and forth', async () => {
    const res = await upload(bundled, `?note=${encodeURIComponent('from the workstation')}&metrics=${encodeURIComponent('{"testAccuracy":0.9383,"epochs":30}')}`);
    expect(res.status, await res.clone().text()).toBe(201);
    const first = (await res.json()) as { current: string; version: { version: string; source: string; note: string; metrics: Record<string, number>; sha256: string } };
    expect(first.version).toMatchObject({ version: 'v1', source: 'offline', note: 'from the workstation', metrics: { testAccuracy: 0.9383, epochs: 30 } });
    // An untrained model is significantly worse than v1 on the anchor holdout: stored, not made current, and the answer says why.
    const worse = await otherShape(784, 10);
    const refused = await upload(worse);
    expect(refused.status).toBe(201);
    const second = (await refused.json()) as { current: string; promoted: boolean; message: string; version: { version: string; parent: string }; gate: { accepted: boolean; reason: string; holdoutAccuracy: number; currentHoldoutAccuracy: number; checks: Array<{ b: number; c: number; p: number }> } };
    expect(second).toMatchObject({ current: 'v1', promoted: false, version: { version: 'v2', parent: 'v1' }, gate: { accepted: false } });
    expect(second.gate.reason).toMatch(/^significantly worse than v1 on the .* anchor holdout: \d+ answers went from right to wrong/);
    expect(second.gate.checks[0].p).toBeLessThan(1e-6);
    expect(second.gate.holdoutAccuracy).toBeLessThan(second.gate.currentHoldoutAccuracy);
    expect(second.message).toMatch(/^v2 is stored but not current: significantly worse .*\/v1\/models\/digits\/promote .*\?force=true$/);
    expect((await manifest()).current).toBe('v1');
    // The admin insists: ?force=true makes an upload current whatever its score; a bad value of force is refused.
    await expectError(await upload(worse, '?force=yes'), 422, 'invalid_query');
    const forced = (await (await upload(worse, '?force=true')).json()) as { current: string; promoted: boolean; message: string };
    expect(forced).toMatchObject({ current: 'v3', promoted: true, message: 'v3 is current (forced)' });
    // As good as the current one (the same network): current without forcing.
    const same = (await (await upload(bundled)).json()) as { current: string; promoted: boolean; gate: { accepted: boolean } };
    expect(same).toMatchObject({ current: 'v4', promoted: true, gate: { accepted: true } });
    expect((await promote('v2')).status).toBe(200);
    await waitFor('predict to serve v2', async () => (await predictVersion()) === 'v2', 10_000, 50);

    const back = await promote('v1');
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ current: 'v1', event: { action: 'promote', from: 'v2', to: 'v1' } });
    await waitFor('predict to serve v1', async () => (await predictVersion()) === 'v1', 10_000, 50);
    expect((await manifest()).events.map((e) => e.action)).toEqual(['publish', 'publish', 'publish', 'promote', 'promote']);

    await expectError(await promote('v9'), 404, 'not_found');
    await expectError(await promote('latest'), 422, 'invalid_body');
    await expectError(await call(new Request(`${ORIGIN}/v1/models/letters/rollback`, { method: 'POST', headers: ADMIN })), 404, 'unknown_model');
    await expectError(await upload(bundled, '?metrics=%7B%22a%22%3A%22x%22%7D'), 422, 'invalid_metrics');
    await expectError(await upload(new Uint8Array(0)), 400, 'empty_body');
    expect((await manifest()).versions).toHaveLength(4);
  });
});
