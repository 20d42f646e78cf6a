/**
 * Benchmark section "predict-http": the Worker as a client sees it, on a local workerd.
 *
 * 1. Throughput: requests/s and p50/p99 latency of POST /v1/predict against GET /healthz on the same
 *    warm main Worker, core engine (a bounded load generator, autocannon, on 127.0.0.1), in rounds of
 *    one run per route: medians over the rounds with min..max, and a prediction's cost over the floor
 *    (1/predict rate - 1/healthz rate) of each round.
 * 2. Cold start: a fresh workerd process (fresh isolates) per sample, for each engine mode: the CPU
 *    its start costs (script and WebAssembly compilation), then the wall time and CPU of its first
 *    answered prediction, and the CPU spent in the background afterwards. `core` runs the main Worker
 *    alone (it never calls onnxruntime); the onnxruntime modes run it with the onnxruntime Worker
 *    bound; the onnxruntime Worker's own start is measured alone. CPU is read from /proc (Linux): the
 *    isolates' thread, and all threads (V8 compiles on helper threads).
 *
 * The Workers are the real bundles (`wrangler deploy --dry-run` of wrangler.toml and
 * functions/onnxruntime/wrangler.toml) run by workerd directly, without R2 (the bundled model is
 * served) and without wrangler's proxy in front, so nothing else is measured.
 *
 * `npm run bench -- predict-http [--repeats N]`: N rounds of load and N fresh processes per engine
 * mode; a 28 x 28 PNG is posted.
 */
import autocannon from 'autocannon';
import { encode as encodePng } from 'fast-png';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labelledImages } from '../../src/data/idx.ts';
import { median } from '../../src/util/stats.ts';
import { mnistDir } from '../lib/mnist.ts';
import { freePort, WRANGLER_OFFLINE_ENV } from '../lib/wrangler-dev.ts';
import { fixed, int, range, spread, type BenchSection, type Spread } from './section.ts';

/** The request body posted to /v1/predict: JSON pixels now, a 28x28 PNG once images are decoded. */
export interface PredictBody {
  label: string;
  contentType: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export type EngineMode = 'auto' | 'onnxruntime' | 'core';

export interface PredictHttpOptions {
  body?: PredictBody;
  /** Concurrent connections of the load generator (default 8). */
  connections?: number;
  /** Seconds of load per route (default 5). */
  seconds?: number;
  /** Fresh isolates per engine mode for the cold start (default 5). */
  samples?: number;
  /** Rounds of load, one run per route each (default 3). */
  rounds?: number;
  modes?: EngineMode[];
  /** Serve this .onnx as the bundled `digits` model instead of models/digits.onnx (e.g. the article's MLP). */
  model?: string;
  log?: (line: string) => void;
}

export interface LoadFigures {
  route: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** One route over the rounds: medians and spreads of each round's figures, failures summed. */
export interface RouteLoad {
  route: string;
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  non2xx: number;
  errors: number;
}

/** One round of load: `/healthz`, then `/v1/predict`, on the same workerd. */
export type LoadRound = [healthz: LoadFigures, predict: LoadFigures];

export interface LoadReport {
  connections: number;
  secondsPerRun: number;
  rounds: LoadRound[];
  healthz: RouteLoad;
  predict: RouteLoad;
  /** Per round, predict over healthz. */
  ratios: { requestsPerSecond: Spread; p50: Spread; p99: Spread };
  /** Per round, 1/predict rate - 1/healthz rate: the milliseconds a prediction adds to a request, at this concurrency. */
  costOverFloorMs: Spread;
}

/** Medians over fresh isolates; CPU in milliseconds. */
export interface ColdStartFigures {
  mode: EngineMode;
  samples: number;
  startupCpuMs: CpuMs;
  firstPredictWallMs: number;
  firstPredictCpuMs: CpuMs;
  /** CPU spent after the first answer (onnxruntime's background set-up in `auto`). */
  afterFirstCpuMs: CpuMs;
  firstEngine: string;
  secondEngine: string;
  secondPredictWallMs: number;
}

export interface CpuMs {
  isolateThread: number;
  allThreads: number;
}

export interface PredictHttpReport {
  body: string;
  load: LoadReport;
  coldStart: ColdStartFigures[];
  /** The onnxruntime Worker's isolate start alone (median). */
  onnxruntimeStartCpuMs: CpuMs;
  /** workerd's own start: the same process serving a Worker of one empty module (median), the floor under every isolate start above. */
  emptyWorkerStartCpuMs: CpuMs;
  /** The same, with the main Worker's files read beside it (its script as data) and none of them run (median): workerd's start and reading the files. */
  filesReadStartCpuMs: CpuMs;
}

const ROOT = resolve(import.meta.dirname, '../..');
const WORKERD = join(ROOT, 'node_modules/.bin/workerd');

/**
 * Runs the section and prints its figures.
 *
 * @example
 * const report = await benchPredictHttp({ seconds: 5, samples: 5 });
 */
export async function benchPredictHttp(opts: PredictHttpOptions = {}): Promise<PredictHttpReport> {
  const log = opts.log ?? console.log;
  const body = opts.body ?? mnistJsonBody();
  const bundle = buildBundle(opts.model);
  try {
    log(`predict-http: body ${body.label} (${body.bytes.length} bytes), bundle ${bundle.summary}`);
    const load = await measureLoad(bundle, body, opts.connections ?? 8, opts.seconds ?? 5, opts.rounds ?? 3, log);
    const coldStart: ColdStartFigures[] = [];
    for (const mode of opts.modes ?? (['core', 'onnxruntime', 'auto'] as EngineMode[])) {
      coldStart.push(await measureColdStart(bundle, body, mode, opts.samples ?? 5, log));
    }
    const onnxruntimeStartCpuMs = await measureOrtStart(bundle, opts.samples ?? 5, log);
    const { empty: emptyWorkerStartCpuMs, filesRead: filesReadStartCpuMs } = await measureFloors(bundle, opts.samples ?? 5, coldStart.find((c) => c.mode === 'core'), log);
    return { body: body.label, load, coldStart, onnxruntimeStartCpuMs, emptyWorkerStartCpuMs, filesReadStartCpuMs };
  } finally {
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

/** The first MNIST test digit (a 7) as JSON pixels in [0, 1]. */
export function mnistJsonBody(): PredictBody {
  const test = mnistTest();
  const pixels = Array.from(test.pixels.subarray(0, 784), (v) => Number(v.toFixed(4)));
  return { label: `JSON pixels of MNIST test digit 0 (label ${test.labels[0]})`, contentType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify({ pixels })) };
}

/** The same digit as a 28x28 8-bit grayscale PNG, white ink on black as MNIST stores it (needs src/image wired). */
export function mnistPngBody(): PredictBody {
  const test = mnistTest();
  const gray = Uint8Array.from(test.pixels.subarray(0, 784), (v) => Math.round(v * 255));
  const png = encodePng({ width: 28, height: 28, data: gray, channels: 1, depth: 8 });
  return { label: `28x28 PNG of MNIST test digit 0 (label ${test.labels[0]})`, contentType: 'image/png', bytes: new Uint8Array(png) };
}

function mnistTest() {
  const read = (f: string) => new Uint8Array(readFileSync(join(mnistDir(), f)));
  return labelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'));
}

// ---------------------------------------------------------------------------------------------
// Throughput

async function measureLoad(bundle: Bundle, body: PredictBody, connections: number, seconds: number, rounds: number, log: (s: string) => void): Promise<LoadReport> {
  // The served default (wrangler.toml): the core, in the main Worker alone.
  const worker = await startWorkerd(bundle, 'core');
  try {
    for (let i = 0; i < 20; i++) await predictOnce(worker.url, body);
    const runs: LoadRound[] = [];
    // The routes take turns, so a drift in the machine's speed reaches both.
    for (let r = 0; r < rounds; r++) {
      const healthz = await load(`${worker.url}/healthz`, { method: 'GET' }, connections, seconds);
      const predict = await load(`${worker.url}/v1/predict`, { method: 'POST', headers: { 'content-type': body.contentType }, body: Buffer.from(body.bytes) }, connections, seconds);
      runs.push([healthz, predict]);
    }
    const route = (i: 0 | 1): RouteLoad => ({
      route: runs[0][i].route,
      requestsPerSecond: spread(runs.map((r) => r[i].requestsPerSecond)),
      p50Ms: spread(runs.map((r) => r[i].p50Ms)),
      p99Ms: spread(runs.map((r) => r[i].p99Ms)),
      non2xx: runs.reduce((n, r) => n + r[i].non2xx, 0),
      errors: runs.reduce((n, r) => n + r[i].errors, 0),
    });
    const report: LoadReport = {
      connections,
      secondsPerRun: seconds,
      rounds: runs,
      healthz: route(0),
      predict: route(1),
      ratios: {
        requestsPerSecond: spread(runs.map(([h, p]) => p.requestsPerSecond / h.requestsPerSecond)),
        p50: spread(runs.map(([h, p]) => p.p50Ms / h.p50Ms)),
        p99: spread(runs.map(([h, p]) => p.p99Ms / h.p99Ms)),
      },
      costOverFloorMs: spread(runs.map(([h, p]) => 1000 / p.requestsPerSecond - 1000 / h.requestsPerSecond)),
    };
    log(`load: ${connections} connections, ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per route, medians (min..max), 127.0.0.1 (load generator and workerd share this machine's cores)`);
    const two = (n: number) => n.toFixed(2);
    for (const f of [report.healthz, report.predict]) {
      log(`  ${f.route.padEnd(16)} ${int(f.requestsPerSecond.median).padStart(7)} req/s (${range(f.requestsPerSecond)})   p50 ${two(f.p50Ms.median)} ms (${range(f.p50Ms, two)})   p99 ${two(f.p99Ms.median)} ms (${range(f.p99Ms, two)})   non-2xx ${f.non2xx}   errors ${f.errors}`);
    }
    const { ratios, costOverFloorMs: cost } = report;
    log(`  predict / healthz: req/s x${two(ratios.requestsPerSecond.median)} (${range(ratios.requestsPerSecond, two)}), p50 x${two(ratios.p50.median)}, p99 x${two(ratios.p99.median)}`);
    log(`  a prediction's cost over the floor: ${two(cost.median)} ms (${range(cost, two)})`);
    return report;
  } finally {
    await worker.stop();
  }
}

export async function load(url: string, request: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer }, connections: number, seconds: number): Promise<LoadFigures> {
  // autocannon's histogram keeps whole milliseconds; each response's own time (hrtime) is kept here.
  const latencies: number[] = [];
  // Without a callback autocannon returns its event emitter, made thenable (its types say only Promise).
  const run = autocannon({ url, connections, duration: seconds, ...request }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await run;
  return {
    route: `${request.method} ${new URL(url).pathname}`,
    requestsPerSecond: r.requests.total / r.duration,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Cold start

async function measureColdStart(bundle: Bundle, body: PredictBody, mode: EngineMode, samples: number, log: (s: string) => void): Promise<ColdStartFigures> {
  const rows: Array<{ startup: CpuMs; wall: number; cpu: CpuMs; after: CpuMs; first: string; second: string; secondWall: number }> = [];
  for (let s = 0; s < samples; s++) {
    const worker = await startWorkerd(bundle, mode);
    try {
      await quiet(worker.process);
      const startup = cpuOf(worker.process);
      const before = cpuOf(worker.process);
      const first = await predictOnce(worker.url, body);
      const atAnswer = cpuOf(worker.process);
      await quiet(worker.process);
      const settled = cpuOf(worker.process);
      const second = await predictOnce(worker.url, body);
      rows.push({ startup, wall: first.wallMs, cpu: minus(atAnswer, before), after: minus(settled, atAnswer), first: first.json.engine, second: second.json.engine, secondWall: second.wallMs });
    } finally {
      await worker.stop();
    }
  }
  const med = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
  const figures: ColdStartFigures = {
    mode,
    samples,
    startupCpuMs: { isolateThread: med((r) => r.startup.isolateThread), allThreads: med((r) => r.startup.allThreads) },
    firstPredictWallMs: med((r) => r.wall),
    firstPredictCpuMs: { isolateThread: med((r) => r.cpu.isolateThread), allThreads: med((r) => r.cpu.allThreads) },
    afterFirstCpuMs: { isolateThread: med((r) => r.after.isolateThread), allThreads: med((r) => r.after.allThreads) },
    firstEngine: [...new Set(rows.map((r) => r.first))].join('/'),
    secondEngine: [...new Set(rows.map((r) => r.second))].join('/'),
    secondPredictWallMs: med((r) => r.secondWall),
  };
  const cpu = (c: CpuMs) => `${c.isolateThread.toFixed(1)} ms (all threads ${c.allThreads.toFixed(1)})`;
  const spread = (f: (r: (typeof rows)[number]) => number) => `${Math.min(...rows.map(f)).toFixed(1)}..${Math.max(...rows.map(f)).toFixed(1)}`;
  const workers = mode === 'core' ? 'the main Worker alone' : 'the main Worker and the onnxruntime Worker';
  log(`cold start, INFERENCE_ENGINE=${mode}, ${workers}, median of ${samples} fresh processes:`);
  log(`  isolate start (script + wasm compile) CPU ${cpu(figures.startupCpuMs)}, isolate thread ${spread((r) => r.startup.isolateThread)}`);
  log(`  first prediction: wall ${figures.firstPredictWallMs.toFixed(1)} ms, CPU ${cpu(figures.firstPredictCpuMs)}, isolate thread ${spread((r) => r.cpu.isolateThread)}, engine ${figures.firstEngine}`);
  log(`  after the first answer (background): CPU ${cpu(figures.afterFirstCpuMs)}`);
  log(`  second prediction: wall ${figures.secondPredictWallMs.toFixed(1)} ms, engine ${figures.secondEngine}`);
  return figures;
}

/** The start CPU of `samples` fresh workerd processes, each read once its CPU is quiet: medians, and the isolate thread's min..max. */
async function quietStarts(bundle: Bundle, mode: EngineMode, workers: Workers, samples: number): Promise<{ cpu: CpuMs; spread: string }> {
  const rows: CpuMs[] = [];
  for (let s = 0; s < samples; s++) {
    const worker = await startWorkerd(bundle, mode, [], workers);
    try {
      await quiet(worker.process);
      rows.push(cpuOf(worker.process));
    } finally {
      await worker.stop();
    }
  }
  const cpu = { isolateThread: median(rows.map((r) => r.isolateThread)), allThreads: median(rows.map((r) => r.allThreads)) };
  const isolate = rows.map((r) => r.isolateThread);
  return { cpu, spread: `${Math.min(...isolate).toFixed(1)}..${Math.max(...isolate).toFixed(1)}` };
}

/** The onnxruntime Worker's start alone: a workerd process running only it, until its CPU is quiet. */
async function measureOrtStart(bundle: Bundle, samples: number, log: (s: string) => void): Promise<CpuMs> {
  const { cpu, spread } = await quietStarts(bundle, 'onnxruntime', 'onnxruntime', samples);
  log(`the onnxruntime Worker alone (its own isolate), median of ${samples}: start CPU ${cpu.isolateThread.toFixed(1)} ms (${spread}; all threads ${cpu.allThreads.toFixed(1)})`);
  return cpu;
}

/**
 * The floors under the main Worker's isolate start, each the same process and configuration:
 * workerd serving a Worker whose only module answers 200 and imports nothing (its own start); and
 * that Worker with the main Worker's files beside it, its script as a data module, none of them
 * imported (workerd's start and reading the files, which grows with their bytes). What the main
 * Worker costs above the second is evaluating its modules and its warm-up.
 */
async function measureFloors(bundle: Bundle, samples: number, core: ColdStartFigures | undefined, log: (s: string) => void): Promise<{ empty: CpuMs; filesRead: CpuMs }> {
  const folder = 'dist-empty';
  mkdirSync(join(bundle.dir, folder), { recursive: true });
  writeFileSync(join(bundle.dir, folder, 'index.js'), 'export default { fetch() { return new Response("ok"); } };\n');
  const main = bundle.main.modules.find((m) => m.kind === 'esModule')!;
  copyFileSync(join(bundle.dir, bundle.main.folder, main.name), join(bundle.dir, folder, 'script.js'));
  for (const m of bundle.main.modules) if (m !== main) copyFileSync(join(bundle.dir, bundle.main.folder, m.name), join(bundle.dir, folder, m.name));
  const entry = { name: 'index.js', kind: 'esModule' } as const;
  const emptyWith = (modules: WorkerBundle['modules']): Bundle => ({ ...bundle, main: { ...bundle.main, folder, modules: [entry, ...modules] } });
  const floor = async (b: Bundle, what: string) => {
    const { cpu, spread } = await quietStarts(b, 'core', 'main', samples);
    const above = core ? `; the main Worker alone starts ${(core.startupCpuMs.isolateThread - cpu.isolateThread).toFixed(1)} ms above it` : '';
    log(`${what}, median of ${samples}: start CPU ${cpu.isolateThread.toFixed(1)} ms (${spread}; all threads ${cpu.allThreads.toFixed(1)})${above}`);
    return cpu;
  };
  const empty = await floor(emptyWith([]), 'workerd with an empty Worker (its own start, the floor)');
  const files = [{ name: 'script.js', kind: 'data' } as const, ...bundle.main.modules.filter((m) => m !== main)];
  const filesRead = await floor(emptyWith(files), "the empty Worker with the main Worker's files read beside it (its script as data), none run");
  return { empty, filesRead };
}

// ---------------------------------------------------------------------------------------------
// workerd

export interface WorkerBundle {
  /** The folder under the bundle's dir holding this Worker's files. */
  folder: string;
  modules: Array<{ name: string; kind: 'esModule' | 'wasm' | 'data' }>;
  compatibilityDate: string;
  summary: string;
}

/**
 * The main Worker, the API Worker it hands other routes to (API) and the onnxruntime Worker both bind
 * (ONNXRUNTIME), each as `wrangler deploy` would upload it.
 */
export interface Bundle {
  dir: string;
  main: WorkerBundle;
  api: WorkerBundle;
  onnxruntime: WorkerBundle;
  summary: string;
}

/** The deployable bundles, exactly as `wrangler deploy` would upload them. */
export function buildBundle(model?: string): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'nutshell-bench-'));
  const main = buildWorker(dir, 'dist', 'wrangler.toml');
  const api = buildWorker(dir, 'dist-api', 'functions/api/wrangler.toml');
  const onnxruntime = buildWorker(dir, 'dist-onnxruntime', 'functions/onnxruntime/wrangler.toml');
  if (model) {
    for (const w of [main, api]) {
      const bundled = w.modules.find((m) => /(^|-)digits\.onnx$/.test(m.name));
      if (!bundled) throw new Error('the bundle holds no digits.onnx to replace');
      writeFileSync(join(dir, w.folder, bundled.name), readFileSync(model));
      w.summary = summarize(join(dir, w.folder), w.modules.map((m) => m.name));
    }
  }
  return { dir, main, api, onnxruntime, summary: `main Worker: ${main.summary}; API Worker: ${api.summary}; onnxruntime Worker: ${onnxruntime.summary}` };
}

/** One Worker as `wrangler deploy` would upload it (`--dry-run`), into `dir`/`folder` (its source map beside it). */
export function buildWorker(dir: string, folder: string, config: string): WorkerBundle {
  const out = join(dir, folder);
  const r = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '-c', config, '--outdir', out], {
    cwd: ROOT,
    env: { ...process.env, ...WRANGLER_OFFLINE_ENV },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run -c ${config} failed:\n${r.stdout}\n${r.stderr}`);
  const files = readdirSync(out).filter((f) => !f.endsWith('.map') && f !== 'README.md');
  const modules = files
    .map((name) => ({ name, kind: name.endsWith('.js') ? 'esModule' : name.endsWith('.wasm') ? 'wasm' : 'data' }) as WorkerBundle['modules'][number])
    .sort((a, b) => Number(b.kind === 'esModule') - Number(a.kind === 'esModule'));
  const toml = readFileSync(join(ROOT, config), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!compatibilityDate) throw new Error(`${config} has no compatibility_date`);
  return { folder, modules, compatibilityDate, summary: summarize(out, files) };
}

/** Each file of a Worker by name and size. */
function summarize(dir: string, files: string[]): string {
  return files.map((f) => `${f.replace(/^[0-9a-f]{40}-/, '')} ${(statSync(join(dir, f)).size / 1024).toFixed(0)} KiB`).join(', ');
}

export interface RunningWorker {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Which Workers a workerd process runs: the main one (with the onnxruntime Worker bound, or not), all
 * three (every route: the main Worker hands the others to the API Worker), or the onnxruntime Worker alone.
 */
export type Workers = 'main' | 'main+onnxruntime' | 'all' | 'onnxruntime';

/**
 * The bundle served by workerd alone on a free port of 127.0.0.1. `v8Flags` go to V8 (e.g. a heap
 * limit, as an isolate in production has one); `serveArgs` go to `workerd serve` (e.g. `--inspector-addr`).
 * The onnxruntime Worker runs beside the main one unless the mode is `core` (which never calls it), so
 * a cold start measures what it needs.
 */
export async function startWorkerd(bundle: Bundle, mode: EngineMode, v8Flags: string[] = [], workers: Workers = mode === 'core' ? 'main' : 'main+onnxruntime', serveArgs: string[] = []): Promise<RunningWorker> {
  const port = await freePort();
  const config = join(bundle.dir, `workerd-${mode}-${port}.capnp`);
  const modules = (w: WorkerBundle) => w.modules.map((m) => `(name = "${m.name}", ${m.kind} = embed "${w.folder}/${m.name}")`).join(', ');
  const withOrt = workers !== 'main';
  // Only the Workers it serves: workerd reads every file a config embeds, served or not, and the
  // onnxruntime Worker's 14.5 MB of wasm would count in the main Worker's start.
  const withMain = workers !== 'onnxruntime';
  const withApi = workers === 'all';
  const served = workers === 'onnxruntime' ? 'onnxruntime' : 'main';
  const ortBinding = withMain && withOrt ? ', (name = "ONNXRUNTIME", service = "onnxruntime")' : '';
  const apiBinding = withApi ? ', (name = "API", service = "api")' : '';
  const vars = `(name = "INFERENCE_ENGINE", text = "${mode}"), (name = "MODEL_REFRESH_SECONDS", text = "10")`;
  const services = [withMain && 'main', withApi && 'api', withOrt && 'onnxruntime'].filter(Boolean).map((s) => `(name = "${s}", worker = .${s})`);
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(', ')}],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "${served}")],
  v8Flags = [${v8Flags.map((f) => JSON.stringify(f)).join(', ')}],
);
${withMain ? `const main :Workerd.Worker = (
  modules = [${modules(bundle.main)}],
  compatibilityDate = "${bundle.main.compatibilityDate}",
  bindings = [${vars}${ortBinding}${apiBinding}],
);` : ''}
${withApi ? `const api :Workerd.Worker = (
  modules = [${modules(bundle.api)}],
  compatibilityDate = "${bundle.api.compatibilityDate}",
  bindings = [${vars}${ortBinding}],
);` : ''}
${withOrt ? `const onnxruntime :Workerd.Worker = (
  modules = [${modules(bundle.onnxruntime)}],
  compatibilityDate = "${bundle.onnxruntime.compatibilityDate}",
);` : ''}
`,
  );
  const child = spawn(WORKERD, ['serve', config, ...serveArgs], { cwd: bundle.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, () => stderr);
  } catch (e) {
    child.kill();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      child.kill();
      // workerd can hang in its own shutdown (seen with an inspector session just closed): what it
      // does while stopping is not measured, so it is killed outright after a grace period.
      const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(grace);
    },
  };
}

/** How long a stopped workerd may take to exit before it is killed. */
const STOP_GRACE_MS = 5_000;

/** Waits until workerd accepts connections, without sending a request (which would run the isolate). */
async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`workerd did not listen on ${port} within 30 s: ${stderr()}`);
    await sleep(5);
  }
}

async function predictOnce(url: string, body: PredictBody): Promise<{ wallMs: number; json: { engine: string; digit: number } }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': body.contentType }, body: body.bytes });
  const json = await res.json();
  const wallMs = performance.now() - t0;
  if (!res.ok) throw new Error(`POST /v1/predict answered ${res.status}: ${JSON.stringify(json)}`);
  return { wallMs, json };
}

// ---------------------------------------------------------------------------------------------
// CPU from /proc (Linux; also infer-batch.ts): schedstat's first field is the nanoseconds a thread has run.

export function cpuOf(child: ChildProcess): CpuMs {
  const pid = child.pid!;
  let all = 0;
  let isolate = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns = 0;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // the thread ended meanwhile
    }
    all += ns;
    // workerd runs its isolate's JavaScript on the main thread (tid = pid).
    if (Number(tid) === pid) isolate = ns;
  }
  return { isolateThread: isolate / 1e6, allThreads: all / 1e6 };
}

/** Waits until the process has used no CPU for 200 ms (background compilation done). */
async function quiet(child: ChildProcess): Promise<void> {
  let last = cpuOf(child).allThreads;
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = cpuOf(child).allThreads;
    if (now - last < 0.5) return;
    last = now;
  }
}

function minus(a: CpuMs, b: CpuMs): CpuMs {
  return { isolateThread: a.isolateThread - b.isolateThread, allThreads: a.allThreads - b.allThreads };
}

/** The q-quantile (nearest rank). */
function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `npm run bench -- predict-http`: a 28x28 PNG posted to /v1/predict against /healthz, and cold starts. */
export const predictHttp: BenchSection = {
  name: 'predict-http',
  description: 'POST /v1/predict (28x28 PNG) vs GET /healthz on local workerd: req/s, p50/p99; cold start CPU per engine',
  async run(ctx) {
    const common = { body: mnistPngBody(), seconds: ctx.quick ? 2 : 10, connections: 8, samples: ctx.quick ? 2 : ctx.repeats, rounds: ctx.quick ? 1 : ctx.repeats, log: (l: string) => ctx.log(l) };
    ctx.log('-- the bundled model (models/digits.onnx, the edge-cnn-stacked preset)');
    const bundled = await benchPredictHttp(common);
    const b = bundled.load;
    // The article's MLP and the larger CNN, each served the same way as the bundled model.
    for (const [label, file] of [["the article's MLP", 'models/digits-mlp.onnx'], ['the larger CNN', 'models/digits-cnn.onnx']] as const) {
      ctx.log(`-- ${label} (${file}) served the same way`);
      const other = await benchPredictHttp({ ...common, model: join(ROOT, file), modes: ['auto', 'onnxruntime'] });
      const q = other.load;
      const ratio = (f: (l: LoadReport) => Spread) => fixed(f(q).median / f(b).median, 2);
      ctx.log(`${file} / bundled per request (medians): p50 ${ratio((l) => l.predict.p50Ms)}x (${fixed(q.predict.p50Ms.median, 2)} vs ${fixed(b.predict.p50Ms.median, 2)} ms), p99 ${ratio((l) => l.predict.p99Ms)}x, requests/s ${ratio((l) => l.predict.requestsPerSecond)}x, cost over the floor ${fixed(q.costOverFloorMs.median, 2)} vs ${fixed(b.costOverFloorMs.median, 2)} ms`);
    }
  },
};
