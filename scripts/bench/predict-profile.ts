/**
 * Benchmark section "predict-profile": where a warm Worker's CPU goes per POST /v1/predict, by step.
 *
 * The main Worker as `wrangler deploy` would upload it (predict-http.ts), run by workerd alone with
 * its inspector open; after warm-up predictions, V8's sampling profiler records a run of predictions
 * (the same 28 x 28 PNG as predict-http's load, 4 in flight). Each sample is put down to a step by
 * the source of the code it was in, read through the bundle's source map: the core's forward pass
 * (src/nn and its WebAssembly), preprocessing (src/image), decoding the PNG (its decoder, pako),
 * reading the body, the model and its engine, routing and the rest of the request's JavaScript
 * (hono, functions/; JSON.stringify and other builtins count for the code that calls them),
 * garbage collection, and workerd and V8 themselves (what runs outside the script: HTTP, I/O,
 * compilation). Idle time is left out. A fresh workerd process per repeat; each step's share of the
 * sampled CPU is quoted as the median with min..max, with the sampled CPU per prediction.
 */
import { readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { freePort } from '../lib/wrangler-dev.ts';
import { buildBundle, mnistPngBody, startWorkerd, type Bundle, type PredictBody } from './predict-http.ts';
import { fixed, loadText, range, spread, table, type BenchSection } from './section.ts';

/** The steps, in the order they are printed. */
const STEP = {
  forward: 'forward pass (src/nn, its WebAssembly)',
  preprocessing: 'preprocessing (src/image)',
  decoding: 'decoding the PNG (src/image png, pako)',
  body: 'reading the body (functions/http/body.ts, predict/input.ts)',
  model: 'the model and its engine (functions/models, inference)',
  request: 'routing, the query, the rest of the request (hono, functions/)',
  gc: 'garbage collection',
  runtime: 'workerd and V8 (HTTP, I/O, compilation)',
} as const;
type Step = (typeof STEP)[keyof typeof STEP];
const STEPS: Step[] = Object.values(STEP);

/** The step of a source file of the bundle (its path as the source map names it). */
function stepOfSource(source: string): Step {
  const path = source.replace(/^.*?(node_modules\/|functions\/|src\/)/, '$1');
  if (/^src\/nn\//.test(path)) return STEP.forward;
  if (/^src\/image\/(png|png-header|crc32|jpeg|jpeg-header|decode|sniff)\.ts$/.test(path) || /^node_modules\/(pako|jpeg-js)\//.test(path)) return STEP.decoding;
  if (/^src\/image\//.test(path)) return STEP.preprocessing;
  if (/^functions\/(http\/body|predict\/input)\.ts$/.test(path)) return STEP.body;
  if (/^functions\/(models|inference)\//.test(path) || /^src\/(onnx|models|registry)\//.test(path)) return STEP.model;
  return STEP.request;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Each step's sampled microseconds. A sample in the script counts for its source's step; one outside
 * it (WebAssembly: the forward pass; a builtin or workerd's API) for the step of its nearest caller
 * in the script; garbage collection and V8's own work are steps of their own.
 */
function attribute(profile: Profile, map: SourceMap, script: string): Map<Step, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stepOf = new Map<number, Step | null>();
  const own = (n: ProfileNode): Step | null => {
    const f = n.callFrame;
    if (f.url.endsWith(script) && f.lineNumber >= 0) {
      const entry = map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string };
      return entry.originalSource ? stepOfSource(entry.originalSource) : STEP.request;
    }
    if (f.functionName.startsWith('wasm-function') || f.url.startsWith('wasm:') || f.functionName.startsWith('js-to-wasm')) return STEP.forward;
    if (f.functionName === '(garbage collector)') return STEP.gc;
    if (f.functionName === '(program)') return STEP.runtime;
    return null;
  };
  const resolve = (id: number): Step | null => {
    if (stepOf.has(id)) return stepOf.get(id)!;
    const n = byId.get(id)!;
    const step = own(n) ?? (parent.has(id) ? resolve(parent.get(id)!) : null);
    stepOf.set(id, step);
    return step;
  };
  const us = new Map<Step, number>(STEPS.map((s) => [s, 0]));
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)' || name === '(root)') return;
    const step = resolve(id) ?? STEP.runtime;
    us.set(step, us.get(step)! + profile.timeDeltas[i]);
  });
  return us;
}

/** How long an inspector command (the profile's is the largest) or closing the session may take. */
const INSPECTOR_TIMEOUT_MS = 60_000;

/** A Chrome DevTools Protocol session with the inspector of the workerd process. */
async function inspect(port: number): Promise<{ call(method: string, params?: object): Promise<Record<string, unknown>>; close(): Promise<void> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string; title: string }>;
  const target = targets.find((t) => /main/.test(t.title)) ?? targets[0];
  if (!target) throw new Error('workerd\'s inspector lists no isolate');
  const ws = new WebSocket(target.webSocketDebuggerUrl.replace(/^ws:\/\/[^/]*/, `ws://127.0.0.1:${port}`));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('could not open workerd\'s inspector')), { once: true });
  });
  let next = 0;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, unknown> };
    if (m.id !== undefined) pending.get(m.id)?.(m.result ?? {});
  });
  const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => reject(new Error(`workerd's inspector did not answer ${method} within ${INSPECTOR_TIMEOUT_MS / 1000} s`)), INSPECTOR_TIMEOUT_MS);
        pending.set(id, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    // Closed before workerd is stopped, and waited for: workerd stopping with a session open can hang.
    close: async () => {
      ws.close();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, INSPECTOR_TIMEOUT_MS))]);
    },
  };
}

/** `n` predictions of `body`, `inFlight` at a time; each must be answered 200. */
async function predictions(url: string, body: PredictBody, n: number, inFlight: number): Promise<void> {
  let sent = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (sent < n) {
      sent++;
      const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': body.contentType }, body: body.bytes });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`POST /v1/predict answered ${res.status}`);
    }
  }));
}

/** One fresh workerd: `warm` predictions, then `profiled` ones sampled; each step's microseconds. */
async function profileOnce(bundle: Bundle, body: PredictBody, warm: number, profiled: number, map: SourceMap, script: string): Promise<Map<Step, number>> {
  const port = await freePort();
  const worker = await startWorkerd(bundle, 'core', [], 'main', [`--inspector-addr=127.0.0.1:${port}`]);
  try {
    await predictions(worker.url, body, warm, 4);
    const inspector = await inspect(port);
    try {
      await inspector.call('Profiler.enable');
      await inspector.call('Profiler.setSamplingInterval', { interval: 50 });
      await inspector.call('Profiler.start');
      await predictions(worker.url, body, profiled, 4);
      const { profile } = (await inspector.call('Profiler.stop')) as { profile: Profile };
      return attribute(profile, map, script);
    } finally {
      await inspector.close();
    }
  } finally {
    await worker.stop();
  }
}

/** `npm run bench -- predict-profile`. */
export const predictProfile: BenchSection = {
  name: 'predict-profile',
  description: "where a warm Worker spends a POST /v1/predict, by step: workerd's inspector sampling the deployable bundle",
  async run(ctx) {
    const body = mnistPngBody();
    const [warm, profiled] = ctx.quick ? [50, 200] : [300, 1000];
    const bundle = buildBundle();
    const shares = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
    const perPrediction: number[] = [];
    const loadBefore = loadText();
    try {
      const script = bundle.main.modules.find((m) => m.kind === 'esModule')!.name;
      const map = new SourceMap(JSON.parse(readFileSync(join(bundle.dir, bundle.main.folder, `${script}.map`), 'utf8')));
      for (let r = 0; r < ctx.repeats; r++) {
        const us = await profileOnce(bundle, body, warm, profiled, map, script);
        const total = [...us.values()].reduce((a, b) => a + b, 0);
        for (const s of STEPS) shares.get(s)!.push((100 * us.get(s)!) / total);
        perPrediction.push(total / 1000 / profiled);
      }
    } finally {
      rmSync(bundle.dir, { recursive: true, force: true });
    }
    const rows = STEPS.map((s) => {
      const x = spread(shares.get(s)!);
      return [s, fixed(x.median, 1), range(x, (n) => fixed(n, 1))];
    });
    const cpu = spread(perPrediction);
    ctx.log(`body ${body.label}; ${warm} predictions to warm up, then ${profiled} sampled (every 50 us, 4 in flight), a fresh workerd per repeat, ${ctx.repeats} repeats; load average ${loadBefore} -> ${loadText()}`);
    ctx.log(`sampled CPU per prediction (idle left out): ${fixed(cpu.median, 3)} ms (${range(cpu, (n) => fixed(n, 3))}); the profiler's own cost is in it`);
    ctx.log(table(['step', '% of sampled CPU', 'min..max'], rows));
    return { body: body.label, warm, profiled, cpuMsPerPrediction: cpu, shares: Object.fromEntries(STEPS.map((s) => [s, spread(shares.get(s)!)])) };
  },
};
