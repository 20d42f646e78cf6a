import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web/wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import type { Bindings } from '../../../functions/context.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { LocalOnnxRuntime } from '../../../functions/inference/local-onnxruntime.ts';
import { MAX_JSON_BYTES, PIXELS } from '../../../functions/limits.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { mnistDir } from '../../../scripts/lib/mnist.ts';
import { labelledImages } from '../../../src/data/idx.ts';
import { importOnnx } from '../../../src/onnx/import.ts';

// The Worker's Hono app run by Node (the same routes test/worker runs inside workerd), with the
// bundled model and both real engines: the core, and onnxruntime-web loading its wasm by itself.
// The oracle is onnxruntime-node, a native build sharing no code with either engine.

const root = join(import.meta.dirname, '../../..');
const modelBytes = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
const read = (f: string) => new Uint8Array(readFileSync(join(mnistDir(), f)));
const mnist = labelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'));
const image = (i: number) => Array.from(mnist.pixels.subarray(i * PIXELS, (i + 1) * PIXELS));

/** onnxruntime-web in this process, as the onnxruntime Worker serves it. */
const runtime = new LocalOnnxRuntime(() => ortWeb);

function newApp() {
  ortWeb.env.wasm.numThreads = 1;
  return createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: modelBytes }]), engines: new Engines() });
}

/** An ExecutionContext that keeps what is handed to waitUntil. */
function executionContext() {
  const pending: Promise<unknown>[] = [];
  return { pending, waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException: () => {}, props: {} };
}

const post = (app: ReturnType<typeof newApp>, body: BodyInit | null, headers: Record<string, string>, env: Bindings = {}, ctx = executionContext()) =>
  app.request('/v1/predict', { method: 'POST', headers, body }, env, ctx);

const error = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  return body.error.message;
};

describe('the Worker app in Node', () => {
  let oracle: ortNode.InferenceSession;
  beforeAll(async () => {
    oracle = await ortNode.InferenceSession.create(modelBytes);
  });

  it('answers /healthz and lists the model with a version from its sha256', async () => {
    const app = newApp();
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const sha = createHash('sha256').update(modelBytes).digest('hex');
    const { models } = (await (await app.request('/v1/models')).json()) as { models: Array<Record<string, unknown>> };
    expect(models).toEqual([{ name: 'digits', version: `bundled-${sha.slice(0, 12)}`, source: 'bundled', sha256: sha, metrics: expect.objectContaining({ testAccuracy: expect.any(Number) }) }]);
  });

  it('predicts like onnxruntime-node, first with the core, then with onnxruntime-web', async () => {
    const app = newApp();
    const seen = new Set<string>();
    // The bundled model's own input shape: [1, 28, 28] for a CNN, [784] for an MLP.
    const shape = [1, ...(await importOnnx(modelBytes)).network.inputShape];
    for (let i = 0; i < 60; i++) {
      const ctx = executionContext();
      const res = await post(app, JSON.stringify({ pixels: image(i) }), { 'content-type': 'application/json' }, { INFERENCE_ENGINE: 'auto', ONNXRUNTIME: runtime }, ctx);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { digit: number; probabilities: number[]; engine: string };
      seen.add(answer.engine);
      const expected = (await oracle.run({ input: new ortNode.Tensor('float32', Float32Array.from(image(i)), shape) })).output.data as Float32Array;
      answer.probabilities.forEach((p, k) => expect(Math.abs(p - expected[k])).toBeLessThanOrEqual(1e-5));
      expect(answer.digit).toBe(expected.indexOf(Math.max(...expected)));
      await Promise.all(ctx.pending);
    }
    expect([...seen].sort()).toEqual(['core', 'onnxruntime']);
  });

  it('refuses bad input with the right status and code', async () => {
    const app = newApp();
    const json = { 'content-type': 'application/json' };
    await error(await post(app, '{"pixels":', json), 400, 'malformed_json');
    expect(await error(await post(app, JSON.stringify({ pixels: new Array(785).fill(0) }), json), 422, 'invalid_pixels')).toContain('784');
    await error(await post(app, JSON.stringify({ pixels: [...new Array(783).fill(0), 'NaN'] }), json), 422, 'invalid_pixels');
    await error(await post(app, 'x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    await error(await post(app, new Uint8Array([0x89, 0x50]), { 'content-type': 'image/png' }), 400, 'truncated_image');
    await error(await app.request('/v1/predict'), 405, 'method_not_allowed');
    await error(await app.request('/nowhere'), 404, 'not_found');
  });

  it('413 before reading a chunked body whole', async () => {
    const app = newApp();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += 8192;
        c.enqueue(new Uint8Array(8192).fill(32));
      },
    });
    const req = new Request('http://x/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    await error(await app.request(req), 413, 'payload_too_large');
    expect(pulled).toBeLessThan(MAX_JSON_BYTES + 64 * 1024);
  });
});
