/**
 * Benchmark section "infer-batch": 64 digits classified by one Open Inference Protocol request
 * (POST /v2/models/digits/infer, batched on the first dimension) against 64 POST /v1/predict calls,
 * on a local workerd running the real bundle (predict-http.ts), with onnxruntime warm.
 *
 * Per contender: the wall time of the whole 64 (median of the repeats), per digit, the workerd
 * process's CPU (all threads, from /proc) and the bytes sent. Images are MNIST test digits as 28 x 28
 * PNGs (BYTES, base64, in /v2; raw image/png bodies in /v1); tensors are their pixels as FP32 JSON.
 */
import { encode as encodePng } from 'fast-png';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelledImages } from '../../src/data/idx.ts';
import { mnistDir } from '../lib/mnist.ts';
import { buildBundle, cpuOf, startWorkerd, type RunningWorker } from './predict-http.ts';
import { fixed, int, loadText, median, range, spread, table, type BenchSection } from './section.ts';

/** Digits per contender: MAX_INFER_BATCH, one full request. */
const DIGITS = 64;

interface Contender {
  name: string;
  bytes: number;
  run(url: string): Promise<void>;
}

/** POSTs and checks the answer, so that a failing route is never timed as a fast one. */
async function send(url: string, body: BodyInit, type: string, check: (answer: unknown) => boolean): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  const answer = (await res.json()) as unknown;
  if (!res.ok || !check(answer)) throw new Error(`POST ${new URL(url).pathname} answered ${res.status}: ${JSON.stringify(answer).slice(0, 200)}`);
}

/** The served model's input shape with the batch dimension set to DIGITS, from its OIP metadata. */
async function batchShape(url: string): Promise<number[]> {
  const res = await fetch(`${url}/v2/models/digits`);
  const meta = (await res.json()) as { inputs?: Array<{ shape: number[] }> };
  const shape = meta.inputs?.[0]?.shape;
  if (!res.ok || !shape) throw new Error(`GET /v2/models/digits answered ${res.status}`);
  return [DIGITS, ...shape.slice(1)];
}

function contenders(shape: number[]): Contender[] {
  const read = (f: string) => new Uint8Array(readFileSync(join(mnistDir(), f)));
  const test = labelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'));
  const pixels = Array.from({ length: DIGITS }, (_, i) => Array.from(test.pixels.subarray(i * 784, (i + 1) * 784), (v) => Number(v.toFixed(4))));
  const pngs = pixels.map((p) => new Uint8Array(encodePng({ width: 28, height: 28, data: Uint8Array.from(p, (v) => Math.round(v * 255)), channels: 1 })));
  const isPrediction = (a: unknown) => typeof (a as { digit?: unknown }).digit === 'number';
  const isBatch = (a: unknown) => (a as { outputs?: Array<{ shape: number[] }> }).outputs?.[0]?.shape?.[0] === DIGITS;

  const imagesRequest = JSON.stringify({ inputs: [{ name: 'input', shape: [DIGITS], datatype: 'BYTES', data: pngs.map((b) => Buffer.from(b).toString('base64')) }] });
  const tensorRequest = JSON.stringify({ inputs: [{ name: 'input', shape, datatype: 'FP32', data: pixels.flat() }] });
  const pixelBodies = pixels.map((p) => JSON.stringify({ pixels: p }));
  const total = (xs: Array<{ length: number }>) => xs.reduce((a, x) => a + x.length, 0);
  const predictAll = async (url: string, bodies: BodyInit[], type: string, concurrency: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) await send(`${url}/v1/predict`, bodies[i], type, isPrediction);
    }));
  };
  return [
    { name: `/v2 infer: ${DIGITS} PNGs (BYTES) in one request`, bytes: imagesRequest.length, run: (url) => send(`${url}/v2/models/digits/infer`, imagesRequest, 'application/json', isBatch) },
    { name: `/v1/predict: ${DIGITS} PNGs, one after another`, bytes: total(pngs), run: (url) => predictAll(url, pngs, 'image/png', 1) },
    { name: `/v1/predict: ${DIGITS} PNGs, 8 at a time`, bytes: total(pngs), run: (url) => predictAll(url, pngs, 'image/png', 8) },
    { name: `/v2 infer: [${shape.join(', ')}] FP32 in one request`, bytes: tensorRequest.length, run: (url) => send(`${url}/v2/models/digits/infer`, tensorRequest, 'application/json', isBatch) },
    { name: `/v1/predict: ${DIGITS} JSON pixels, one after another`, bytes: total(pixelBodies), run: (url) => predictAll(url, pixelBodies, 'application/json', 1) },
  ];
}

/** Waits until onnxruntime answers (the `auto` engine's steady state), so that no contender times its set-up. */
async function warm(worker: RunningWorker): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${worker.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: new Array(784).fill(0.5) }) });
    if (((await res.json()) as { engine?: string }).engine === 'onnxruntime') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('onnxruntime did not take over within 10 s');
}

/** `npm run bench -- infer-batch`. */
export const inferBatch: BenchSection = {
  name: 'infer-batch',
  description: `one /v2 infer of ${DIGITS} digits (BYTES images, FP32 tensors) vs ${DIGITS} /v1/predict calls, local workerd`,
  async run(ctx) {
    const bundle = buildBundle();
    const worker = await startWorkerd(bundle, 'auto', [], 'all');
    try {
      await warm(worker);
      const all = contenders(await batchShape(worker.url));
      const loadBefore = loadText();
      for (const c of all) await c.run(worker.url); // each once untimed: the isolate's first of a kind
      const rows: string[][] = [];
      for (const c of all) {
        const walls: number[] = [];
        const cpus: number[] = [];
        for (let r = 0; r < ctx.repeats; r++) {
          const cpu = cpuOf(worker.process).allThreads;
          const t0 = performance.now();
          await c.run(worker.url);
          walls.push(performance.now() - t0);
          cpus.push(cpuOf(worker.process).allThreads - cpu);
        }
        const wall = spread(walls);
        rows.push([c.name, fixed(wall.median, 1), range(wall, (n) => fixed(n, 1)), fixed(wall.median / DIGITS, 2), fixed(median(cpus), 1), int(c.bytes)]);
      }
      ctx.log(`bundle ${bundle.summary}; onnxruntime warm; medians of ${ctx.repeats} (client and workerd share this machine's cores); load average ${loadBefore} -> ${loadText()}`);
      ctx.log(table(['contender', 'wall ms', 'min..max', 'ms/digit', 'workerd CPU ms', 'bytes sent'], rows));
    } finally {
      await worker.stop();
    }
  },
};
