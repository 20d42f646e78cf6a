import { build } from 'esbuild';
import { Miniflare, Request } from 'miniflare';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { KERNEL_DIR } from '../lib/build-wasm.ts';
import { loadMnist } from '../lib/mnist.ts';
import { fixed, loadAverage, loadText, spread, table, type BenchContext, type BenchSection } from './section.ts';

/**
 * What accepting labelled digits costs the Worker per request, inside workerd: the webhook (read,
 * verify the Standard Webhooks signature, parse, validate, preprocess images, quantise, queue) and
 * the feedback route, against GET /healthz on the same Worker. The app is the real one (functions/app.ts),
 * with the real trainer object (the webhook records each signed attempt there, to refuse replays) and a
 * queue that takes messages and does nothing (the local queue's own cost is not the Worker's CPU).
 * Wall time of a request from Node; workerd computes on one thread, so this is about its CPU time.
 * The cases run one after another (one request at a time): median, quartiles, and the load
 * average before and after each case.
 */
export const ingestWorkerd: BenchSection = {
  name: 'ingest-workerd',
  description: 'the webhook and feedback routes inside workerd: time per request by delivery size (what the free plan\'s 10 ms CPU allows)',
  run,
};

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'whsec_YmVuY2gtb25seS1zZWNyZXQtZm9yLWluZ2VzdGlvbg==';
const WORKER = `
import digits from './digits.onnx';
import { createApp } from '${ROOT}functions/app.ts';
import { Engines } from '${ROOT}functions/inference/engines.ts';
import { ModelCatalog } from '${ROOT}functions/models/catalog.ts';
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: new Uint8Array(digits) }]), engines: new Engines() });
const queue = { async send() {} };
export { ModelTrainer } from '${ROOT}functions/trainer/object.ts';
export default { fetch: (request, env, ctx) => app.fetch(request, { ...env, TRAINING_QUEUE: queue }, ctx) };`;

async function run(ctx: BenchContext): Promise<unknown> {
  const bundle = await build({
    stdin: { contents: WORKER, loader: 'js', resolveDir: ROOT },
    bundle: true, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'import'],
    external: ['onnxruntime-web/wasm', 'cloudflare:*'], write: false, logLevel: 'error',
    // Binary imports (kernels, onnxruntime's wasm, the model) become modules beside the worker.
    plugins: [{ name: 'binary-modules', setup: (b) => b.onResolve({ filter: /\.(wasm|onnx)$/ }, (a) => ({ path: `./${basename(a.path)}`, external: true })) }],
  });
  const data = (file: string) => ({ type: 'Data' as const, path: basename(file), contents: readFileSync(file) });
  const wasm = (file: string) => ({ type: 'CompiledWasm' as const, path: basename(file), contents: readFileSync(file) });
  const mf = new Miniflare({
    compatibilityDate: '2026-04-20',
    bindings: { WEBHOOK_SECRET: SECRET },
    durableObjects: { TRAINER: { className: 'ModelTrainer', useSQLite: true } },
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: bundle.outputFiles[0].text },
      data(join(ROOT, 'models/digits.onnx')),
      ...['nn-simd.wasm', 'nn-relaxed.wasm'].map((f) => wasm(join(KERNEL_DIR, f))),
      wasm(join(ROOT, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm')),
      { type: 'ESModule', path: 'onnxruntime-web/wasm', contents: 'export const env = { wasm: {} }; export const InferenceSession = {}; export const Tensor = class {};' },
    ],
  });
  try {
    const { train } = loadMnist({ limit: 200 });
    const pixels = (i: number) => Array.from(train.pixels.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1e4) / 1e4);
    const png = readFileSync(join(ROOT, 'test/fixtures/digits/004-4-becausewebuild-canvas.png')).toString('base64');
    const webhook = (examples: unknown[]) => () => {
      const id = `msg_${crypto.randomUUID()}`;
      const body = JSON.stringify({ examples });
      const now = new Date();
      return new Request('http://bench/v1/webhooks/training', {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) },
      });
    };
    const cases: Array<[string, () => Request, number]> = [
      ['GET /healthz (baseline)', () => new Request('http://bench/healthz'), 200],
      ['feedback: 1 example (pixels)', () => new Request('http://bench/v1/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: 3, pixels: pixels(0) }) }), 202],
      ['webhook: 1 example (pixels)', webhook([{ label: 3, pixels: pixels(0) }]), 202],
      ['webhook: 10 examples (pixels)', webhook(Array.from({ length: 10 }, (_, i) => ({ label: train.labels[i], pixels: pixels(i) }))), 202],
      ['webhook: 100 examples (pixels)', webhook(Array.from({ length: 100 }, (_, i) => ({ label: train.labels[i], pixels: pixels(i) }))), 202],
      [`webhook: 1 image (canvas PNG, ${Math.round((png.length * 3) / 4 / 1024)} KiB)`, webhook([{ label: 4, image: png }]), 202],
      ['webhook: 10 images (canvas PNG)', webhook(Array.from({ length: 10 }, () => ({ label: 4, image: png }))), 202],
    ];
    const rows: string[][] = [];
    const figures: Array<{ request: string; ms: ReturnType<typeof spread>; overHealthzMs: number; loadBefore: number; loadAfter: number }> = [];
    let baseline = 0;
    ctx.log(`load average ${loadText()}; ${Math.max(5, ctx.repeats * 4)} timed requests per case after 3 warm-up requests`);
    for (const [name, make, status] of cases) {
      const loadBefore = loadAverage()[0];
      const times: number[] = [];
      for (let r = 0; r < 3; r++) await (await mf.dispatchFetch(make())).arrayBuffer(); // warm-up
      for (let r = 0; r < Math.max(5, ctx.repeats * 4); r++) {
        const request = make();
        const t0 = performance.now();
        const res = await mf.dispatchFetch(request);
        const text = await res.text();
        times.push(performance.now() - t0);
        if (res.status !== status) throw new Error(`${name}: ${res.status} ${text}`);
      }
      const ms = spread(times);
      const loadAfter = loadAverage()[0];
      if (!baseline) baseline = ms.median;
      figures.push({ request: name, ms, overHealthzMs: ms.median - baseline, loadBefore, loadAfter });
      rows.push([name, fixed(ms.median, 2), `${fixed(ms.q1, 2)}..${fixed(ms.q3, 2)}`, fixed(ms.median - baseline, 2), `${fixed(loadBefore, 2)} -> ${fixed(loadAfter, 2)}`]);
    }
    ctx.log(table(['request', 'median ms', 'quartiles', 'over healthz', 'load before -> after'], rows));
    return { requests: figures };
  } finally {
    await mf.dispose();
  }
}
