import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { Network } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { ModelRegistry } from '../../src/registry/index.ts';
import { ORIGIN, SELF } from './helpers.ts';
import { waitFor } from './online-helpers.ts';

/**
 * Concurrent requests of one isolate that all need what none has loaded yet (a new manifest, the
 * new version's bytes, its engine), each in its own request context (SELF.fetch): every one is
 * answered by the new version, none fails because another request's I/O ran in its context.
 */
describe('concurrent first predictions of a new version', () => {
  afterEach(async () => {
    const listed = await env.MODELS.list({ prefix: 'models/' });
    await Promise.all(listed.objects.map((o) => env.MODELS.delete(o.key)));
    // The next file starts from the bundled model: past the refresh interval, the isolate reads the empty registry.
    await new Promise((r) => setTimeout(r, Number(env.MODEL_REFRESH_SECONDS) * 1000 + 100));
  });

  it('answers all 16 with the new version', async () => {
    const bytes = await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed: 11 }));
    const v = await new ModelRegistry(env.MODELS, 'digits').publish(bytes, { source: 'offline' });
    // Past the manifest's refresh interval: the isolate's cached manifest (if any) is stale now.
    await new Promise((r) => setTimeout(r, Number(env.MODEL_REFRESH_SECONDS) * 1000 + 100));
    const body = JSON.stringify({ pixels: Array.from({ length: 784 }, (_, i) => (i % 7) / 7) });
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => SELF.fetch(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })),
    );
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, text: await r.text() })));
    expect(bodies.filter((b) => b.status !== 200)).toEqual([]);
    // A request that finds a stale manifest kept by this isolate is answered from it while another
    // refreshes it; every answer is the new version or the bundled one, and the next is the new one.
    const versions = new Set(bodies.map((b) => (JSON.parse(b.text) as { model: { version: string } }).model.version));
    for (const version of versions) expect(version === v.version || version.startsWith('bundled-'), version).toBe(true);
    const served = async () => {
      const next = await SELF.fetch(`${ORIGIN}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return ((await next.json()) as { model: { version: string } }).model.version === v.version;
    };
    await waitFor('the new version to be served', served, 5000, 50);
  });
});
