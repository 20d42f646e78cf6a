#!/usr/bin/env -S npx tsx
/**
 * npm run soak -- [--seconds 60] [--fuzz 20000] [--connections 1,2,4,8,16,32] [--out out/soak.json]
 *
 * The Worker hammered, fed garbage and made to learn at once, on `wrangler dev` over 127.0.0.1
 * (fresh local state, random secrets), bounded in time:
 *   1. fuzz: seeded generated and mutated requests to /v1/predict and the webhook (scripts/lib/fuzz),
 *      every answer judged (2xx where valid, else a 4xx JSON error; no 5xx; each within a deadline),
 *      the Worker's workerd RSS sampled; sent to the Worker's own workerd socket inside wrangler dev
 *      (see workerEntryUrl: wrangler's reload proxy answers 503 after chunked uploads are refused);
 *   2. saturation: POST /v1/predict with a PNG, stepping the connections, to find the concurrency
 *      that saturates the machine;
 *   3. load: that concurrency for --seconds, zero errors, p50/p99, RSS over time (its slope);
 *   4. load while training: the same, while signed webhook deliveries (with retries of the same
 *      signed request and redeliveries) make the trainer publish new versions;
 *   5. exactly once: once the trainer has decided on everything, wrangler dev is stopped and its
 *      state read back (the trainer's records, the manifest): every delivery answered 202, in the
 *      fuzz and in 4, applied once with all its examples; nothing else applied;
 *   6. memory of the Worker alone: the deployable bundle (`wrangler deploy --dry-run`) on workerd
 *      without wrangler's dev tooling, the same load for --seconds: RSS flat after warm-up; then
 *      half as many fuzz cases again, of the predict families (bombs, huge bodies, mutated images; the
 *      costliest images are 7's), RSS bounded;
 *   7. the costliest inputs within the limits (the most pixels in every PNG layout, JPEGs of every
 *      layout at the edge of the decoding memory, baseline and progressive, bodies as large as
 *      allowed) and the decompression bombs, each sent to a fresh Worker alone on workerd with V8's
 *      heap capped as an isolate's: every answer as it must be, and what each took (RSS growth
 *      over the warm Worker, sampled every 5 ms) within --max-input-mib.
 *      (Under wrangler dev the Worker's process grows by a few KiB per request, for any route, even
 *      GET /healthz, past 1 GiB in a full run: the dev tooling's, so it is reported, not judged.)
 * Figures go to --out (JSON) and the console; the exit code is 1 if any check failed.
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { buildBundle, mnistJsonBody, mnistPngBody, startWorkerd } from './bench/predict-http.ts';
import { fail, runMain } from './lib/cli.ts';
import { sampleRss, summariseRss, type MemorySummary } from './lib/memory.ts';
import { loadMnist } from './lib/mnist.ts';
import { sendDeliveries } from './lib/soak/deliveries.ts';
import { checkExactlyOnce } from './lib/soak/exactly-once.ts';
import { FAMILY_WEIGHTS } from './lib/fuzz/requests.ts';
import { fuzzOverHttp } from './lib/soak/fuzz-http.ts';
import { findSaturation, loadPredict, type LoadResult } from './lib/soak/load.ts';
import { readBackState } from './lib/soak/readback.ts';
import { watchDecisions, watchServedVersions } from './lib/soak/watch.ts';
import { measureEachAlone } from './lib/soak/worst-inputs.ts';
import { ringJpeg, ringPng, worstImages } from './lib/worst-images.ts';
import { MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS } from '../functions/limits.ts';
import { MAX_JPEG_SCANS, MAX_SIDE } from '../src/image/limits.ts';
import { startWranglerDev, workerdProcesses, workerEntryUrl } from './lib/wrangler-dev.ts';

const program = new Command('npm run soak --')
  .description('Fuzz, load and train the Worker on wrangler dev (127.0.0.1), bounded in time; figures to --out.')
  .option('--seconds <s>', 'seconds of each load phase (predict alone, then while training)', '60')
  .option('--fuzz <n>', 'fuzz cases (0: skip the fuzzing)', '20000')
  .option('--seed <n>', 'fuzz seed: a failure is reproduced from (seed, case index)', '20261127')
  .option('--concurrency <n>', 'fuzz cases in flight at once', '8')
  .option('--skip <families>', 'fuzz families left out, comma-separated (e.g. predict/huge)', '')
  .option('--deadline <ms>', 'each fuzz request must be answered within this', '15000')
  .option('--connections <list>', 'connection counts stepped through to find saturation', '1,2,4,8,16,32')
  .option('--step-seconds <s>', 'seconds of each saturation step', '5')
  .option('--delivery-ms <ms>', 'one signed delivery of 10 MNIST digits every this many ms while training', '500')
  .option('--warmup-seconds <s>', 'load before the Worker alone is measured (its heap grows to its working size first)', '60')
  .option('--drain-seconds <s>', 'longest wait for the trainer to decide on every accepted delivery', '300')
  .option('--max-rss-mib <n>', "the Workers' workerd (under wrangler dev: the three Workers' isolates, and the dev tooling's growth per request) may never exceed this resident size", '3072')
  .option('--max-input-mib <n>', 'the most memory (RSS growth) one costly input may take a fresh Worker: 3/4 of an isolate', '96')
  .option('--skip-worst', 'leave out the costliest inputs (each on a fresh Worker, about a minute)')
  .option('--out <file>', 'machine-readable results', 'out/soak.json')
  .showHelpAfterError();

interface Options {
  seconds: string; fuzz: string; seed: string; concurrency: string; skip: string; deadline: string; connections: string;
  stepSeconds: string; deliveryMs: string; warmupSeconds: string; drainSeconds: string; maxRssMib: string; maxInputMib: string; skipWorst?: boolean; out: string;
}

/** An isolate's memory in production (MB): the Worker alone runs with V8's heap capped at this. */
const ISOLATE_MB = 128;

const positive = (name: string, v: string, min = 1) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number >= ${min}, not '${v}'`);
  return n;
};

async function main(): Promise<void> {
  const o = program.parse().opts<Options>();
  const seconds = positive('seconds', o.seconds);
  const fuzzCases = positive('fuzz', o.fuzz, 0);
  const levels = o.connections.split(',').map((c) => positive('connections', c));
  const problems: string[] = [];
  const log = (line: string) => console.log(line);
  mkdirSync(dirname(o.out), { recursive: true });
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const adminToken = randomBytes(24).toString('hex');
  const secrets = [secret, secret.slice('whsec_'.length), adminToken];
  const started = new Date();
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, loadAverageAtStart: loadavg()[0] };
  log(`soak: ${machine.cpus} CPUs (${machine.cpu}), load average ${machine.loadAverageAtStart.toFixed(2)}; wrangler dev on 127.0.0.1 with fresh state`);

  const server = await startWranglerDev({ vars: { WEBHOOK_SECRET: secret, ADMIN_TOKEN: adminToken, MODEL_REFRESH_SECONDS: '2' }, logLevel: 'log', keepState: true });
  const { worker: workerPid, proxy: proxyPid } = workerdProcesses(server);
  if (!workerPid) fail(`could not find the Worker's workerd among wrangler's processes:\n${server.log()}`);
  const report: Record<string, unknown> = { startedAt: started.toISOString(), machine, options: o };
  const accepted = new Map<string, number>();
  const decisions = watchDecisions(server.url, adminToken, 'digits', 2000);
  const drain = async (what: string) => {
    const t0 = Date.now();
    const until = t0 + positive('drain-seconds', o.drainSeconds) * 1000;
    for (;;) {
      await decisions.poll();
      const decided = decisions.deliveryCounts();
      const pending = [...accepted.keys()].filter((id) => !decided.has(id));
      if (!pending.length) return (Date.now() - t0) / 1000;
      if (Date.now() > until) {
        problems.push(`${pending.length} accepted deliveries were not decided within --drain-seconds after ${what} (e.g. ${pending.slice(0, 5).join(', ')})`);
        return (Date.now() - t0) / 1000;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  try {
    // Warm: the served default engine (wrangler.toml's INFERENCE_ENGINE) has answered.
    const png = mnistPngBody();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': png.contentType }, body: png.bytes });
      await res.arrayBuffer();
    }

    // 1. Fuzzing.
    if (fuzzCases > 0) {
      log(`fuzz: ${fuzzCases} cases (seed ${o.seed}), ${o.concurrency} at a time, each request within ${o.deadline} ms`);
      const rss = sampleRss(workerPid!, 500);
      const fuzz = await fuzzOverHttp({
        url: await workerEntryUrl(server), seed: positive('seed', o.seed, 0), cases: fuzzCases, concurrency: positive('concurrency', o.concurrency),
        deadlineMs: positive('deadline', o.deadline), secret, secrets, progress: (n) => log(`  ${n} cases`),
        skip: o.skip ? o.skip.split(',') : [],
      });
      const memory = summariseRss(rss.stop(), 0.1);
      for (const [id, n] of fuzz.accepted) accepted.set(id, n);
      const { accepted: fuzzAccepted, ...rest } = fuzz;
      report.fuzz = { ...rest, deliveriesAccepted: fuzzAccepted.size, memory };
      log(`  ${fuzz.requests} requests in ${fuzz.seconds.toFixed(0)} s: ${Object.entries(fuzz.byStatus).sort().map(([s, n]) => `${s} x${n}`).join(', ')}`);
      log(`  failures ${fuzz.failures}, 5xx ${fuzz.serverErrors}, past the deadline ${fuzz.deadlineExceeded}; latency p50 ${fuzz.latencyMs.p50.toFixed(1)} ms, p99 ${fuzz.latencyMs.p99.toFixed(1)} ms, max ${fuzz.latencyMs.max.toFixed(0)} ms`);
      log(`  ${memoryLine(memory)}`);
      for (const f of fuzz.failureSamples.slice(0, 10)) log(`  FAILED case ${f.index} step ${f.step} [${f.family}] ${f.detail}\n    ${f.request}\n    -> ${f.status}: ${f.problems.join('; ')}`);
      if (fuzz.failures) problems.push(`fuzz: ${fuzz.failures} answers broke the rules (seed ${o.seed}; see fuzz.failureSamples)`);
      if (memory.peakMiB > Number(o.maxRssMib)) problems.push(`fuzz: the Worker's workerd reached ${memory.peakMiB.toFixed(0)} MiB`);
      const waited = await drain('the fuzzing');
      log(`  the trainer decided on the ${fuzzAccepted.size} deliveries the fuzzer got accepted (${waited.toFixed(0)} s after it ended)`);
    }

    // 2. Saturation.
    log(`saturation: POST /v1/predict with ${png.label}, ${o.stepSeconds} s per step`);
    const saturation = await findSaturation(server.url, png, levels, positive('step-seconds', o.stepSeconds), 0.05, log);
    log(`  saturating concurrency: ${saturation.saturating} connections`);
    report.saturation = saturation;

    // 3. Load.
    const steady = await measured(`load: ${saturation.saturating} connections for ${seconds} s`, workerPid!, proxyPid, () => loadPredict(server.url, png, saturation.saturating, seconds), log);
    report.load = steady;
    checkLoad('load', steady.result, steady.memory, problems, Number(o.maxRssMib), false);

    // 4. Load while training.
    const { train } = loadMnist();
    const served = watchServedVersions(server.url, JSON.parse(new TextDecoder().decode(mnistJsonBody().bytes)).pixels, 1000);
    const [training, sent] = await Promise.all([
      measured(`load while training: ${saturation.saturating} connections for ${seconds} s, a signed delivery of 10 digits every ${o.deliveryMs} ms`, workerPid!, proxyPid, () => loadPredict(server.url, png, saturation.saturating, seconds), log),
      sendDeliveries({ url: server.url, secret, train, offset: 30_000, examplesPerDelivery: 10, intervalMs: positive('delivery-ms', o.deliveryMs), seconds, prefix: `soak${Date.now().toString(36)}` }),
    ]);
    const versions = await served.stop();
    for (const [id, n] of sent.accepted) accepted.set(id, n);
    const { accepted: sentAccepted, ...sentRest } = sent;
    const versionOrder = versions.filter((v) => v.version).map((v) => v.version!);
    const distinct = versionOrder.filter((v, i) => i === 0 || v !== versionOrder[i - 1]);
    report.loadWhileTraining = { ...training, deliveries: { ...sentRest, accepted: sentAccepted.size }, versionsServed: distinct, predictionsSampled: versions.length, predictionsFailed: versions.filter((v) => v.status !== 200).length };
    log(`  deliveries: ${sent.deliveries} sent, ${sentAccepted.size} accepted, ${sent.duplicatesAccepted} sent again and accepted as duplicates, ${sent.redeliveries} redeliveries accepted; versions served meanwhile: ${distinct.join(' -> ')}`);
    checkLoad('load while training', training.result, training.memory, problems, Number(o.maxRssMib), false);
    if (sent.violations.length) problems.push(`deliveries: ${sent.violations.length} answers were wrong (${sent.violations.slice(0, 3).join('; ')})`);
    if (versions.some((v) => v.status !== 200)) problems.push('a sampled prediction failed while training');
    if (!versionMovesForward(distinct)) problems.push(`the served version went back: ${distinct.join(' -> ')}`);

    // 5. Exactly once (below, once wrangler dev is stopped).
    const waited = await drain('the load');
    await decisions.stop();
    log(`exactly once: the trainer decided on every accepted delivery ${waited.toFixed(0)} s after the load; stopping wrangler dev and reading its state back`);
  } finally {
    await decisions.stop().catch(() => {});
    await server.stop();
  }

  const back = await readBackState(server.state);
  const once = checkExactlyOnce(accepted, back, decisions.deliveryCounts(), decisions.decisions().length);
  report.exactlyOnce = once;
  log(`  ${once.deliveriesAccepted} deliveries (${once.examplesAccepted} examples) accepted; ${once.deliveriesApplied} applied (${once.examplesApplied} examples) in ${once.rounds} rounds, ${once.versions} versions; lost ${once.lost.length} (${once.examplesLost} examples), applied twice ${once.appliedTwice.length}, applied without a 202 ${once.unexpected.length}`);
  if (once.lost.length || once.examplesLost) problems.push(`exactly once: ${once.lost.length} accepted deliveries (${once.examplesLost} examples) were never applied`);
  if (once.appliedTwice.length) problems.push(`exactly once: applied twice: ${once.appliedTwice.slice(0, 5).join(', ')}`);
  if (once.unexpected.length) problems.push(`exactly once: applied without being accepted: ${once.unexpected.slice(0, 5).join(', ')}`);
  if (once.examplesMismatched.length) problems.push(`exactly once: ${once.examplesMismatched.slice(0, 3).join('; ')}`);
  if (once.appliedCounter !== back.applied.size) problems.push(`the trainer counts ${once.appliedCounter} applied deliveries but records ${back.applied.size}`);

  // 6. The Worker alone, on workerd: memory flat after warm-up.
  const bundle = buildBundle();
  try {
    // The three Workers, bound as their configurations bind them (the core engine never calls onnxruntime).
    const alone = await startWorkerd(bundle, 'core', [], 'all');
    try {
      const png = mnistPngBody();
      const connections = (report.saturation as { saturating: number }).saturating;
      log(`the Worker alone: warming up for ${o.warmupSeconds} s`);
      await loadPredict(alone.url, png, connections, positive('warmup-seconds', o.warmupSeconds));
      const plain = await measured(`the Worker alone on workerd (the deployable bundle, no dev tooling): ${connections} connections for ${seconds} s`, alone.process.pid!, undefined, () => loadPredict(alone.url, png, connections, seconds), log);
      report.workerdAlone = plain;
      checkLoad('the Worker alone', plain.result, plain.memory, problems, Number(o.maxRssMib), true);
      // Garbage too: the predict cases of the fuzzing (bombs, huge bodies, mutated images), memory sampled.
      // Not the costliest images: what each takes is measured alone (7); here they would only raise
      // the process's high-water mark, which its allocator keeps, and hide a slope.
      if (fuzzCases > 0) {
        const cases = Math.ceil(fuzzCases / 2);
        // Twice, the same cases: the first pass grows the heap to what these inputs need (a few seconds
        // of big transient buffers look like growth however little is kept); the second, sampled, must not.
        log(`the Worker alone, fuzzed: ${cases} cases of the predict families but the costliest images (seed ${o.seed}), twice; memory sampled over the second`);
        const leftOut = Object.keys(FAMILY_WEIGHTS).filter((f) => f.startsWith('webhook/') || f === 'predict/16bit-max' || f === 'predict/jpeg-memory');
        const fuzzOptions = {
          url: alone.url, seed: positive('seed', o.seed, 0), cases, concurrency: positive('concurrency', o.concurrency),
          deadlineMs: positive('deadline', o.deadline), secret, secrets, skip: leftOut,
        };
        const first = await fuzzOverHttp(fuzzOptions);
        if (first.failures) problems.push(`the Worker alone, fuzzed (first pass): ${first.failures} answers broke the rules`);
        const rss = sampleRss(alone.process.pid!, 500);
        const fuzz = await fuzzOverHttp(fuzzOptions);
        const memory = summariseRss(rss.stop(), 0.25);
        const { accepted: _none, ...rest } = fuzz;
        report.workerdAloneFuzz = { ...rest, memory };
        log(`  ${fuzz.requests} requests in ${fuzz.seconds.toFixed(0)} s: ${Object.entries(fuzz.byStatus).sort().map(([st, n]) => `${st} x${n}`).join(', ')}; failures ${fuzz.failures}`);
        log(`  ${memoryLine(memory)}`);
        if (fuzz.failures) problems.push(`the Worker alone, fuzzed: ${fuzz.failures} answers broke the rules`);
        const growth = (memory.slopeMiBPerMin * (memory.seconds - memory.warmupSeconds)) / 60;
        if (growth > Math.max(32, 0.1 * memory.startMiB)) problems.push(`the Worker alone, fuzzed: memory grew ${growth.toFixed(1)} MiB after warm-up`);
      }
    } finally {
      await alone.stop();
    }

    // 7. The costliest inputs within the limits, and the bombs, each on a Worker of its own.
    if (!o.skipWorst) {
      const limits = { maxPixels: MAX_IMAGE_PIXELS, maxSide: MAX_SIDE, maxBytes: MAX_IMAGE_BYTES, maxScans: MAX_JPEG_SCANS };
      const inputs = worstImages(limits);
      const cap = positive('max-input-mib', o.maxInputMib);
      log(`the costliest inputs: ${inputs.length}, each sent to a fresh Worker alone (V8's heap capped at ${ISOLATE_MB} MB, as an isolate's), its RSS sampled every 5 ms`);
      const warmBodies = [mnistPngBody(), { contentType: 'image/jpeg', bytes: ringJpeg(64, 64, '4:2:0') }, { contentType: 'image/png', bytes: ringPng(64, 64, 6, 16) }];
      const warm = async (url: string) => {
        for (const b of warmBodies) await (await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': b.contentType }, body: b.bytes })).text();
      };
      const worst = await measureEachAlone(inputs, () => startWorkerd(bundle, 'core', [`--max-old-space-size=${ISOLATE_MB}`], 'all'), warm, 2, log);
      report.worstInputs = worst;
      log(`  the most any took: ${worst.worst?.growthMiB.toFixed(1)} MiB (${worst.worst?.label}); the slowest: ${worst.slowest?.ms.toFixed(0)} ms (${worst.slowest?.label})`);
      for (const u of worst.unexpected) problems.push(`the costliest inputs: ${u}`);
      for (const a of worst.answers) if (a.growthMiB > cap) problems.push(`the costliest inputs: ${a.label} took ${a.growthMiB.toFixed(0)} MiB, over --max-input-mib ${cap}`);
    }
  } finally {
    rmSync(bundle.dir, { recursive: true, force: true });
  }

  // The Worker's logs: no secret, no unexpected failure. (Kept beside the figures, secrets masked.)
  const output = server.log();
  writeFileSync(o.out.replace(/\.json$/, '') + '-wrangler.log', secrets.reduce((text, s) => text.split(s).join('<secret>'), output));
  const logs = { lines: output.split('\n').length, secretsInLogs: secrets.filter((s) => output.includes(s)).length, unexpectedFailures: (output.match(/unexpected failure/g) ?? []).length };
  report.logs = logs;
  if (logs.secretsInLogs) problems.push('a secret appears in the logs');
  if (logs.unexpectedFailures) problems.push(`${logs.unexpectedFailures} unexpected failures were logged`);

  report.finishedAt = new Date().toISOString();
  report.verdict = { passed: problems.length === 0, problems };
  writeFileSync(o.out, JSON.stringify(report, null, 1));
  log(problems.length ? `soak FAILED:\n  ${problems.join('\n  ')}` : `soak passed (${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min); figures in ${o.out}`);
  if (problems.length) process.exitCode = 1;
}

/** Runs a load phase while sampling the RSS of the Worker's workerd (and wrangler's proxy) every second. */
async function measured(title: string, workerPid: number, proxyPid: number | undefined, run: () => Promise<LoadResult>, log: (s: string) => void) {
  log(title);
  const rss = sampleRss(workerPid, 1000);
  const proxyRss = proxyPid ? sampleRss(proxyPid, 1000) : null;
  const result = await run();
  const memory = summariseRss(rss.stop());
  const proxyMemory = proxyRss ? summariseRss(proxyRss.stop()) : null;
  log(`  ${result.requests} requests, ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(0)} ms; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`);
  log(`  ${memoryLine(memory)}`);
  return { result, memory, proxyMemory, rssSamples: rss.samples.map((s) => [Number(s.t.toFixed(1)), Math.round(s.rss / 1024)]) };
}

function memoryLine(m: MemorySummary): string {
  return `the Worker's workerd RSS: ${m.startMiB.toFixed(0)} MiB after warm-up, ${m.endMiB.toFixed(0)} MiB at the end, peak ${m.peakMiB.toFixed(0)} MiB; slope ${m.slopeMiBPerMin.toFixed(2)} MiB/min over ${(m.seconds - m.warmupSeconds).toFixed(0)} s`;
}

/**
 * Zero errors; memory under the cap; and (for predictions alone) flat after warm-up: the trend
 * over the measured window adds less than 5% or 16 MiB, whichever is more.
 */
function checkLoad(phase: string, r: LoadResult, m: MemorySummary, problems: string[], maxRssMib: number, flat = true): void {
  if (r.non2xx || r.errors || r.timeouts) problems.push(`${phase}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  if (!r.requests) problems.push(`${phase}: no request answered`);
  if (m.peakMiB > maxRssMib) problems.push(`${phase}: the Worker's workerd reached ${m.peakMiB.toFixed(0)} MiB`);
  const growth = (m.slopeMiBPerMin * (m.seconds - m.warmupSeconds)) / 60;
  if (flat && growth > Math.max(16, 0.05 * m.startMiB)) problems.push(`${phase}: memory grew ${growth.toFixed(1)} MiB after warm-up (slope ${m.slopeMiBPerMin.toFixed(2)} MiB/min)`);
}

/** Versions named vN only move forward (bundled-* counts as before v1). */
function versionMovesForward(order: string[]): boolean {
  const rank = (v: string) => (v.startsWith('bundled-') ? 0 : Number(v.slice(1)));
  return order.every((v, i) => i === 0 || rank(v) >= rank(order[i - 1]));
}

runMain(main);
