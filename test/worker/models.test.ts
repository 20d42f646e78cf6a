import { createExecutionContext, env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.ts';
import { Engines } from '../../functions/inference/engines.ts';
import { ModelCatalog } from '../../functions/models/catalog.ts';
import digitsOnnx from '../../models/digits.onnx';
import { Network } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { parseModel } from '../../src/onnx/import.ts';
import { manifestKey, ModelRegistry, versionKey } from '../../src/registry/index.ts';
import { sha256Hex } from '../../src/util/sha256.ts';
import { call, expectError, ORIGIN } from './helpers.ts';

interface ModelInfo {
  name: string;
  version: string;
  source: string;
  sha256: string;
  metrics: Record<string, number>;
  versions?: ModelInfo[];
  archived?: { versions: number; decisions: number; events: number };
}

const bundled = new Uint8Array(digitsOnnx);

describe('GET /v1/models', () => {
  it('lists the bundled digits model: version from its sha256, metrics from its metadata', async () => {
    const res = await call(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: ModelInfo[] };
    expect(models.map((m) => m.name)).toEqual(['digits']);
    const [digits] = models;
    const sha = await sha256Hex([bundled]);
    expect(digits).toMatchObject({ name: 'digits', source: 'bundled', sha256: sha, version: `bundled-${sha.slice(0, 12)}` });
    const metadata = Object.fromEntries(parseModel(bundled).metadataProps.map((p) => [p.key, p.value]));
    expect(digits.metrics.testAccuracy).toBe(Number(metadata['nutshell.test_accuracy']));
  });

  it('GET /v1/models/digits gives the current version and the versions; an unknown name is 404', async () => {
    const info = (await (await call(new Request(`${ORIGIN}/v1/models/digits`))).json()) as ModelInfo;
    expect(info.name).toBe('digits');
    expect(info.versions?.map((v) => v.version)).toEqual([info.version]);
    expect(info.archived).toEqual({ versions: 0, decisions: 0, events: 0 });
    const e = await expectError(await call(new Request(`${ORIGIN}/v1/models/letters`)), 404, 'unknown_model');
    expect(e.message).toContain('letters');
  });
});

describe('the registry in R2 (local R2 of workerd), written by src/registry', () => {
  // A fresh app per test, reading the manifest on every request (refresh 0 s).
  const bindings = { MODELS: env.MODELS, MODEL_REFRESH_SECONDS: '0', INFERENCE_ENGINE: 'core' };
  const app = () =>
    createApp({
      catalog: new ModelCatalog([{ name: 'digits', bytes: bundled }]),
      engines: new Engines(),
    });
  const predict = async (a: ReturnType<typeof createApp>) => {
    const res = await a.request(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: new Array(784).fill(0.2) }) }, bindings, createExecutionContext());
    expect(res.status).toBe(200);
    return (await res.json()) as { digit: number; probabilities: number[]; model: { name: string; version: string } };
  };
  /** Another network (seeded, untrained): its answers differ from the bundled model's. */
  const other = (seed: number) => exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed }));
  const registry = () => new ModelRegistry(env.MODELS, 'digits');

  afterEach(async () => {
    const listed = await env.MODELS.list({ prefix: 'models/' });
    await Promise.all(listed.objects.map((o) => env.MODELS.delete(o.key)));
  });

  it('serves the version the registry makes current, without a redeploy; rollback and an empty manifest too', async () => {
    const a = app();
    const before = await predict(a);
    expect(before.model.version).toMatch(/^bundled-/);

    const v1 = await registry().publish(await other(3), { source: 'offline', metrics: { testAccuracy: 0.5 } });
    const after = await predict(a);
    expect(after.model).toEqual({ name: 'digits', version: v1.version });
    expect(after.probabilities).not.toEqual(before.probabilities);

    const listed = (await (await a.request(`${ORIGIN}/v1/models`, {}, bindings)).json()) as { models: ModelInfo[] };
    expect(listed.models[0]).toEqual({ name: 'digits', version: v1.version, source: 'offline', sha256: v1.sha256, metrics: { testAccuracy: 0.5 } });

    const v2 = await registry().publish(await other(4), { source: 'online', metrics: { testAccuracy: 0.6 } });
    expect((await predict(a)).model.version).toBe(v2.version);
    const details = (await (await a.request(`${ORIGIN}/v1/models/digits`, {}, bindings)).json()) as ModelInfo;
    expect(details.versions?.map((v) => [v.version, v.source])).toEqual([[v1.version, 'offline'], [v2.version, 'online']]);
    expect(details.archived).toEqual({ versions: 0, decisions: 0, events: 0 });

    await registry().rollback();
    expect((await predict(a)).model.version).toBe(v1.version);

    await env.MODELS.delete(manifestKey('digits'));
    expect((await predict(a)).model.version).toBe(before.model.version);
  });

  it('never serves a version whose bytes do not match their sha256: its parent answers', async () => {
    const a = app();
    const v1 = await registry().publish(await other(5), { source: 'offline' });
    const v2 = await registry().publish(await other(6), { source: 'offline' });
    await env.MODELS.put(versionKey('digits', v2.version), await other(7)); // corrupted in place
    expect((await predict(a)).model.version).toBe(v1.version);
  });

  it('a wiped registry that names other bytes v1 again: the new bytes answer, not the ones this isolate kept', async () => {
    const a = app();
    const first = await registry().publish(await other(3), { source: 'offline' });
    const before = await predict(a);
    expect(before.model.version).toBe(first.version);
    const listed = await env.MODELS.list({ prefix: 'models/' });
    await env.MODELS.delete(listed.objects.map((o) => o.key));
    const again = await registry().publish(await other(8), { source: 'offline' });
    expect(again.version).toBe(first.version);
    const after = await predict(a);
    expect(after.model.version).toBe(again.version);
    expect(after.probabilities).toEqual((await predict(app())).probabilities);
    expect(after.probabilities).not.toEqual(before.probabilities);
  });

  it('a manifest that does not parse leaves the bundled model answering', async () => {
    const a = app();
    await env.MODELS.put(manifestKey('digits'), '{"current": 3, "versions": "no"}');
    expect((await predict(a)).model.version).toMatch(/^bundled-/);
  });
});
