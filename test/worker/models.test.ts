import { createExecutionContext, env } from 'cloudflare:test';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.ts';
import { Engines } from '../../functions/inference/engines.ts';
import { useCompiledOrtWasm } from '../../functions/inference/ort-runtime.ts';
import { ModelCatalog } from '../../functions/models/catalog.ts';
import { sha256Hex } from '../../functions/models/model.ts';
import { manifestKey, versionKey } from '../../functions/models/registry.ts';
import digitsOnnx from '../../models/digits.onnx';
import { Network } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { parseModel } from '../../src/onnx/import.ts';
import { call, expectError, ORIGIN } from './helpers.ts';

interface ModelInfo {
  name: string;
  version: string;
  source: string;
  sha256: string;
  metrics: Record<string, number>;
  versions?: ModelInfo[];
}

const bundled = new Uint8Array(digitsOnnx);

describe('GET /v1/models', () => {
  it('lists the bundled digits model: version from its sha256, metrics from its metadata', async () => {
    const res = await call(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: ModelInfo[] };
    expect(models.map((m) => m.name)).toEqual(['digits']);
    const [digits] = models;
    const sha = await sha256Hex(bundled);
    expect(digits).toMatchObject({ name: 'digits', source: 'bundled', sha256: sha, version: `bundled-${sha.slice(0, 12)}` });
    const metadata = Object.fromEntries(parseModel(bundled).metadataProps.map((p) => [p.key, p.value]));
    expect(digits.metrics.test_accuracy).toBe(Number(metadata['nutshell.test_accuracy']));
  });

  it('GET /v1/models/digits gives the current version and the versions; an unknown name is 404', async () => {
    const info = (await (await call(new Request(`${ORIGIN}/v1/models/digits`))).json()) as ModelInfo;
    expect(info.name).toBe('digits');
    expect(info.versions?.map((v) => v.version)).toEqual([info.version]);
    const e = await expectError(await call(new Request(`${ORIGIN}/v1/models/letters`)), 404, 'unknown_model');
    expect(e.message).toContain('letters');
  });
});

describe('the registry in R2 (local R2 of workerd)', () => {
  // A fresh app per test, reading the manifest on every request (refresh 0 s).
  const bindings = { MODELS: env.MODELS, MODEL_REFRESH_SECONDS: '0', INFERENCE_ENGINE: 'core' };
  const app = () =>
    createApp({
      catalog: new ModelCatalog([{ name: 'digits', bytes: bundled }]),
      engines: new Engines(() => useCompiledOrtWasm(ortWasm)),
    });
  const predict = async (a: ReturnType<typeof createApp>) => {
    const res = await a.request(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: new Array(784).fill(0.2) }) }, bindings, createExecutionContext());
    expect(res.status).toBe(200);
    return (await res.json()) as { digit: number; probabilities: number[]; model: { name: string; version: string } };
  };
  const publish = async (version: string, bytes: Uint8Array, sha256?: string) => {
    await env.MODELS.put(versionKey('digits', version), bytes);
    const entry = { version, sha256: sha256 ?? (await sha256Hex(new Uint8Array(bytes))), metrics: { test_accuracy: 0.5 }, source: 'offline' };
    await env.MODELS.put(manifestKey('digits'), JSON.stringify({ current: version, versions: [entry] }));
  };

  afterEach(async () => {
    const listed = await env.MODELS.list({ prefix: 'models/' });
    await Promise.all(listed.objects.map((o) => env.MODELS.delete(o.key)));
  });

  it('serves the current version a manifest names, without a redeploy, and the bundled one without a manifest', async () => {
    const a = app();
    const before = await predict(a);
    expect(before.model.version).toMatch(/^bundled-/);

    // Another network (seeded, untrained): its answer must differ from the bundled model's.
    const other = await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed: 3 }));
    await publish('v2', other);
    const after = await predict(a);
    expect(after.model).toEqual({ name: 'digits', version: 'v2' });
    expect(after.probabilities).not.toEqual(before.probabilities);

    const listed = (await (await a.request(`${ORIGIN}/v1/models`, {}, bindings)).json()) as { models: ModelInfo[] };
    expect(listed.models[0]).toMatchObject({ name: 'digits', version: 'v2', source: 'registry', metrics: { test_accuracy: 0.5 } });

    await env.MODELS.delete(manifestKey('digits'));
    expect((await predict(a)).model.version).toBe(before.model.version);
  });

  it('refuses a version whose bytes do not match the manifest sha256, serving the last good one', async () => {
    const a = app();
    const good = await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed: 4 }));
    await publish('v3', good);
    expect((await predict(a)).model.version).toBe('v3');
    await publish('v4', good, '0'.repeat(64));
    expect((await predict(a)).model.version).toBe('v3');
  });

  it('a manifest that does not parse leaves the bundled model answering', async () => {
    const a = app();
    await env.MODELS.put(manifestKey('digits'), '{"current": 3, "versions": "no"}');
    expect((await predict(a)).model.version).toMatch(/^bundled-/);
  });
});
