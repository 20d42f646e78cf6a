import { env } from 'cloudflare:test';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_INFER_BATCH, MAX_INFER_BYTES } from '../../functions/limits.ts';
import { Network } from '../../src/nn/network.ts';
import type { NetworkSpec } from '../../src/nn/network.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { call, ORIGIN, predictRequest } from './helpers.ts';
import { readFixture } from './mnist-fixture.ts';
import { registry, resetOnline, resetToBundled } from './online-helpers.ts';

// The Open Inference Protocol v2 REST data plane as its specification words it
// (github.com/kserve/open-inference-protocol, specification/protocol/inference_rest.md): the health,
// server and model metadata and inference APIs; tensors batched on the first dimension with the
// full batch's shape; data flat or nested in row-major order; `id` echoed; errors
// `{ "error": <message> }` with an HTTP error status. Plus what this server adds and documents:
// BYTES images and Triton's `classification` output parameter. The oracle for the numbers is
// POST /v1/predict on the same digits, and the core itself for a published version.

const mnist = readFixture(env.MNIST_TEST);
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7]; // 8 MNIST test digits
/** The float32 tolerance between the engines (the core and onnxruntime answer within it). */
const CLOSE = 1e-5;

const get = (path: string) => call(new Request(`${ORIGIN}${path}`));
const infer = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call(new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }));
/** The digits as one FP32 tensor in the bundled model's shape, [N, 1, 28, 28]. */
const fp32 = (digits: number[], data: unknown = digits.flatMap((i) => mnist.pixels(i))) => ({ name: 'input', shape: [digits.length, 1, 28, 28], datatype: 'FP32', data });
/** The same digits as [N, 784]: the shape of a dense network's input. */
const flat = (digits: number[]) => ({ ...fp32(digits), shape: [digits.length, 784] });
const png = (i: number) => encodePng({ width: 28, height: 28, data: Uint8Array.from(mnist.pixels(i), (v) => Math.round(v * 255)), channels: 1 });
/** Image i as its 28 rows of 28 pixels. */
const rowsOf = (i: number) => Array.from({ length: 28 }, (_, r) => mnist.pixels(i).slice(r * 28, r * 28 + 28));
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

interface Output { name: string; shape: number[]; datatype: string; data: Array<number | string> }
interface Answer { model_name: string; model_version: string; id?: string; outputs: Output[] }

/** The protocol's error: an HTTP error status and a body that is `{ "error": "<message>" }`, nothing else. */
async function expectProtocolError(res: Response, status: number, message?: RegExp): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const body = JSON.parse(text) as { error: unknown };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  if (message) expect(body.error).toMatch(message);
  return body.error as string;
}

async function ok(res: Response): Promise<Answer> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Answer;
}

/** /v1/predict's probabilities for the same digits: the oracle of the FP32 answers. */
async function predicted(body: (i: number) => Request): Promise<number[][]> {
  const rows: number[][] = [];
  for (const i of DIGITS) rows.push(((await (await call(body(i))).json()) as { probabilities: number[] }).probabilities);
  return rows;
}

function expectRows(output: Output, rows: number[][]): void {
  expect(output).toMatchObject({ name: 'output', datatype: 'FP32', shape: [rows.length, 10] });
  expect(output.data).toHaveLength(rows.length * 10);
  rows.flat().forEach((p, k) => expect(Math.abs((output.data[k] as number) - p), `element ${k}`).toBeLessThanOrEqual(CLOSE));
}

describe('the Open Inference Protocol v2 (REST)', () => {
  let bundled: string;
  let fromPixels: number[][];
  beforeAll(async () => {
    await resetToBundled();
    bundled = ((await (await get('/v1/models/digits')).json()) as { version: string }).version;
    fromPixels = await predicted((i) => predictRequest({ pixels: mnist.pixels(i) }));
  });
  // Every test starts with the bundled model current, whatever an earlier one published.
  beforeEach(() => resetToBundled());
  afterAll(async () => {
    await resetOnline();
    await new Promise((r) => setTimeout(r, 1100));
  });

  describe('health and metadata', () => {
    it('server live and server ready', async () => {
      expect(await ok(await get('/v2/health/live'))).toEqual({ live: true });
      expect(await ok(await get('/v2/health/ready'))).toEqual({ ready: true });
    });

    it('server metadata: name, version, extensions (classification)', async () => {
      const meta = (await ok(await get('/v2'))) as unknown as { name: string; version: string; extensions: string[] };
      expect(meta).toEqual({ name: 'nutshell', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), extensions: ['classification'] });
    });

    it('model metadata: name, versions, platform, inputs and outputs with name, datatype and shape (-1: the batch)', async () => {
      const meta = await ok(await get('/v2/models/digits'));
      expect(meta).toEqual({
        name: 'digits', versions: [bundled], platform: 'onnx_onnxv1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }],
      });
      expect(await ok(await get(`/v2/models/digits/versions/${bundled}`))).toEqual(meta);
    });

    it('model ready, with and without a version', async () => {
      expect(await ok(await get('/v2/models/digits/ready'))).toEqual({ name: 'digits', ready: true });
      expect(await ok(await get(`/v2/models/digits/versions/${bundled}/ready`))).toEqual({ name: 'digits', ready: true });
    });

    it('unknown models and versions: 404 in the protocol\'s error shape', async () => {
      for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/Not-A-Name', '/v2/models/nope/versions/v1']) {
        await expectProtocolError(await get(path), 404, /no model named/);
      }
      for (const path of ['/v2/models/digits/versions/v7', '/v2/models/digits/versions/v7/ready', '/v2/models/digits/versions/latest']) {
        await expectProtocolError(await get(path), 404, /has no version/);
      }
      await expectProtocolError(await get('/v2/nothing/here'), 404);
      const wrongMethod = await get('/v2/models/digits/infer');
      expect(wrongMethod.headers.get('allow')).toBe('POST, OPTIONS');
      await expectProtocolError(wrongMethod, 405);
    });
  });

  describe('inference', () => {
    it('8 MNIST digits in one FP32 request [8, 1, 28, 28]: /v1/predict\'s probabilities for each, the request id echoed', async () => {
      const answer = await ok(await infer('/v2/models/digits/infer', { id: 'batch-of-8', inputs: [fp32(DIGITS)] }));
      expect(answer.model_name).toBe('digits');
      expect(answer.model_version).toBe(bundled);
      expect(answer.id).toBe('batch-of-8');
      expect(answer.outputs).toHaveLength(1);
      expectRows(answer.outputs[0], fromPixels);
      const argmax = (row: number[]) => row.indexOf(Math.max(...row));
      expect(fromPixels.map(argmax)).toEqual(DIGITS.map((i) => mnist.labels[i]));
    });

    it('no id, no id in the answer; the same tensor nested as its shape gives the same answer', async () => {
      const flat = await ok(await infer('/v2/models/digits/infer', { inputs: [fp32(DIGITS)] }));
      expect('id' in flat).toBe(false);
      const nested = await ok(await infer('/v2/models/digits/infer', { inputs: [fp32(DIGITS, DIGITS.map((i) => [rowsOf(i)]))] }));
      expectRows(nested.outputs[0], fromPixels);
      const one = await ok(await infer('/v2/models/digits/infer', { inputs: [fp32([3])], outputs: [{ name: 'output' }] }));
      expectRows(one.outputs[0], [fromPixels[3]]);
    });

    it('BYTES: 8 PNG images (base64, one a data: URL) preprocessed as /v1/predict preprocesses them', async () => {
      const fromImages = await predicted((i) => predictRequest(png(i), { 'content-type': 'image/png' }));
      const data = DIGITS.map((i) => (i === 5 ? `data:image/png;base64,${base64(png(i))}` : base64(png(i))));
      const answer = await ok(await infer('/v2/models/digits/infer', { inputs: [{ name: 'input', shape: [8], datatype: 'BYTES', data, parameters: { content_type: 'base64' } }] }));
      expectRows(answer.outputs[0], fromImages);
      const column = await ok(await infer('/v2/models/digits/infer', { inputs: [{ name: 'input', shape: [8, 1], datatype: 'BYTES', data: data.map((d) => [d]) }] }));
      expectRows(column.outputs[0], fromImages);
    });

    it('classification: the top k classes of each example as BYTES [N, k], "<probability>:<index>", highest first', async () => {
      const answer = await ok(await infer('/v2/models/digits/infer', { inputs: [fp32(DIGITS)], outputs: [{ name: 'output', parameters: { classification: 3 } }] }));
      const [out] = answer.outputs;
      expect(out).toMatchObject({ name: 'output', datatype: 'BYTES', shape: [8, 3] });
      expect(out.data).toHaveLength(24);
      DIGITS.forEach((_, n) => {
        const top = (out.data.slice(n * 3, n * 3 + 3) as string[]).map((s) => s.split(':').map(Number));
        const order = fromPixels[n].map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]);
        expect(top.map(([, i]) => i)).toEqual(order.slice(0, 3).map(([, i]) => i));
        top.forEach(([p, i]) => expect(Math.abs(p - fromPixels[n][i])).toBeLessThanOrEqual(CLOSE));
        expect(top[0][0]).toBeGreaterThanOrEqual(top[1][0]);
        expect(top[1][0]).toBeGreaterThanOrEqual(top[2][0]);
      });
      expect(out.data.slice(0, 8).every((s) => /^\d(\.\d+)?(e-\d+)?:\d$/.test(s as string))).toBe(true);
    });

    it('a version named in the path is the one that answers: registry versions, the bundled one, the current one', async () => {
      // v1: a small CNN taking [1, 28, 28]; v2: a dense network taking [784]. Their answers come from the core here.
      const cnnSpec: NetworkSpec = { input: [1, 28, 28], layers: [{ type: 'conv2d', filters: 2, kernel: 3 }, { type: 'activation', fn: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] };
      const denseSpec: NetworkSpec = { input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] };
      const cnn = new Network(cnnSpec, { seed: 5 });
      const dense = new Network(denseSpec, { seed: 6 });
      await registry().publish(await exportOnnx(cnn), { source: 'offline', metrics: {} });
      await registry().publish(await exportOnnx(dense), { source: 'offline', metrics: {} });
      // Published versions are seen within MODEL_REFRESH_SECONDS (1 s in these tests).
      await new Promise((r) => setTimeout(r, 1100));
      const x = Float32Array.from(DIGITS.flatMap((i) => mnist.pixels(i)));
      const rows = (y: Float32Array) => DIGITS.map((_, n) => Array.from(y.subarray(n * 10, n * 10 + 10)));

      const meta = await ok(await get('/v2/models/digits/versions/v1'));
      expect(meta).toMatchObject({ versions: ['v1', 'v2', bundled], inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }] });
      expect(await ok(await get('/v2/models/digits/versions/v2'))).toMatchObject({ versions: ['v1', 'v2', bundled], inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 784] }] });
      const v1 = await ok(await infer('/v2/models/digits/versions/v1/infer', { inputs: [fp32(DIGITS)] }));
      expect(v1.model_version).toBe('v1');
      expectRows(v1.outputs[0], rows(await cnn.predict(x)));
      // The CNN takes [N, 1, 28, 28]: [N, 784] is the wrong shape for it; and the other way round for the dense v2.
      await expectProtocolError(await infer('/v2/models/digits/versions/v1/infer', { inputs: [flat(DIGITS)] }), 400, /has shape \[8, 784\]; the model takes \[N, 1, 28, 28\]/);
      await expectProtocolError(await infer('/v2/models/digits/versions/v2/infer', { inputs: [fp32(DIGITS)] }), 400, /has shape \[8, 1, 28, 28\]; the model takes \[N, 784\]/);

      const v2 = await ok(await infer('/v2/models/digits/versions/v2/infer', { inputs: [flat(DIGITS)] }));
      expect(v2.model_version).toBe('v2');
      expectRows(v2.outputs[0], rows(await dense.predict(x)));
      const old = await ok(await infer(`/v2/models/digits/versions/${bundled}/infer`, { inputs: [fp32(DIGITS)] }));
      expect(old.model_version).toBe(bundled);
      expectRows(old.outputs[0], fromPixels);
      // Unversioned: the current version (v2, the last published), with v2's answers.
      const current = await ok(await infer('/v2/models/digits/infer', { inputs: [flat(DIGITS)] }));
      expect(current.model_version).toBe('v2');
      expectRows(current.outputs[0], rows(await dense.predict(x)));
      expect(await ok(await get('/v2/models/digits/versions/v1/ready'))).toEqual({ name: 'digits', ready: true });
    });
  });

  // Against the bundled model, which takes [N, 1, 28, 28]: each input is right but for what its case names.
  describe('refusals: an HTTP error status and { "error": message }', () => {
    const path = '/v2/models/digits/infer';
    const cases: Array<[string, unknown, RegExp]> = [
      ['a wrong shape', { inputs: [{ ...fp32([0, 1]), shape: [2, 784] }] }, /has shape \[2, 784\]; the model takes \[N, 1, 28, 28\]/],
      ['a shape without the batch', { inputs: [{ ...fp32([0]), shape: [1, 28, 28] }] }, /has shape \[1, 28, 28\]; the model takes \[N, 1, 28, 28\]/],
      ['an empty batch', { inputs: [{ ...fp32([]), shape: [0, 1, 28, 28] }] }, /first dimension is the batch/],
      [`a batch of ${MAX_INFER_BATCH + 1}`, { inputs: [fp32(Array.from({ length: MAX_INFER_BATCH + 1 }, (_, i) => i))] }, new RegExp(`at most ${MAX_INFER_BATCH} examples`)],
      ['a datatype other than FP32 or BYTES', { inputs: [{ ...fp32([0]), datatype: 'INT64' }] }, /inputs\[0\]\.datatype/],
      ['FP64', { inputs: [{ ...fp32([0]), datatype: 'FP64' }] }, /inputs\[0\]\.datatype/],
      ['fewer elements than the shape', { inputs: [{ ...fp32([0, 1]), data: mnist.pixels(0) }] }, /holds 784 elements; its shape \[2, 1, 28, 28\] has 1568/],
      ['more elements than the shape', { inputs: [{ ...fp32([0]), data: [...mnist.pixels(0), 0] }] }, /more than the 784 elements/],
      ['data nested deeper than the shape', { inputs: [{ ...fp32([0]), data: [[rowsOf(0).map((row) => row.map((v) => [v]))]] }] }, /nested deeper than its shape \[1, 1, 28, 28\]/],
      ['a string among FP32 elements', { inputs: [{ ...fp32([0]), data: ['0.5', ...mnist.pixels(0).slice(1)] }] }, /element 0 is "0.5", not an FP32 number/],
      ['a number beyond FP32', { inputs: [{ ...fp32([0]), data: [1e300, ...mnist.pixels(0).slice(1)] }] }, /not an FP32 number/],
      ['two inputs', { inputs: [fp32([0]), fp32([1])] }, /takes one input/],
      ['no inputs', { inputs: [] }, /inputs/],
      ['an input the model does not have', { inputs: [{ ...fp32([0]), name: 'pixels' }] }, /no input 'pixels'; its input is 'input'/],
      ['an output the model does not have', { inputs: [fp32([0])], outputs: [{ name: 'logits' }] }, /no output 'logits'/],
      ['classification 0', { inputs: [fp32([0])], outputs: [{ name: 'output', parameters: { classification: 0 } }] }, /whole number from 1 to 10/],
      ['classification 11', { inputs: [fp32([0])], outputs: [{ name: 'output', parameters: { classification: 11 } }] }, /whole number from 1 to 10/],
      ['an id that is not a string', { id: 42, inputs: [fp32([0])] }, /id/],
      ['BYTES that are not base64', { inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', data: ['not base64!'] }] }, /image 0 is not base64/],
      ['BYTES that are not an image', { inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', data: [btoa('hello, world')] }] }, /image 0: not a PNG or JPEG/],
      ['BYTES in another encoding', { inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', data: ['x'], parameters: { content_type: 'str' } }] }, /content_type "str" is not supported/],
      ['BYTES shaped like a tensor', { inputs: [{ name: 'input', shape: [1, 784], datatype: 'BYTES', data: ['x'] }] }, /images go as \[N\] or \[N, 1\]/],
      ['not an inference request', { pixels: [] }, /not an inference request/],
    ];
    it.each(cases)('%s: 400', async (_, body, message) => {
      await expectProtocolError(await infer(path, body), 400, message);
    });

    it('malformed JSON: 400; not JSON: 415; a body over the limit: 413, before it is read', async () => {
      await expectProtocolError(await infer(path, '{"inputs": ['), 400, /not valid JSON/);
      await expectProtocolError(await infer(path, '{}', { 'content-type': 'text/plain' }), 415);
      await expectProtocolError(await infer(path, new Uint8Array(MAX_INFER_BYTES + 1)), 413, new RegExp(`at most ${MAX_INFER_BYTES} bytes`));
    });

    it('an unknown model or version: 404', async () => {
      await expectProtocolError(await infer('/v2/models/nope/infer', { inputs: [fp32([0])] }), 404, /no model named 'nope'/);
      await expectProtocolError(await infer('/v2/models/digits/versions/v9/infer', { inputs: [fp32([0])] }), 404, /has no version 'v9'/);
    });
  });
});
