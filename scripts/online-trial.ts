#!/usr/bin/env -S npx tsx
/**
 * npx tsx scripts/online-trial.ts [--url http://127.0.0.1:8787] [--check 1200] [--moved 1000] [--out out/online-trial.json]
 *
 * Online learning measured through the public routes, as a user's system would drive it:
 *   1. a personal model `writer-<n>` is created by its first delivery, forked from `digits`;
 *   2. 600 digits of a writer MNIST lacks (scripts/lib/foreign-writer.ts: continental 1s and 7s,
 *      open 4s, ... drawn as canvas PNGs) go to it as 12 signed deliveries of 50, sent at once;
 *   3. every delivery's decision is awaited (GET /v1/admin/models/:name), timed;
 *   4. the writer's accuracy on 1,200 other digits of the same hand, and MNIST test digits moved and
 *      scaled on a canvas, are measured through POST /v1/predict?model=, before and after, against
 *      `digits`, which must be unchanged;
 *   5. one correct delivery (50 more of the writer's digits) is sent together with four poisoned
 *      ones (50 MNIST sevens labelled 1 each): each is decided on its own.
 * Without --url it starts `wrangler dev` itself, on fresh local state with random secrets; with
 * --url it uses a running `npm start` (WEBHOOK_SECRET and ADMIN_TOKEN from the environment or
 * .dev.vars). Figures go to the console and --out.
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail, runMain } from './lib/cli.ts';
import { devVar } from './lib/dev-vars.ts';
import { foreignDigits, WRITERS, type WriterName } from './lib/foreign-writer.ts';
import { loadMnist } from './lib/mnist.ts';
import { balancedIndices, movedMnist } from './lib/online-sets.ts';
import { accuracyOf, adminModel, base64, deliver, waitForDecisions, waitForServed, type WorkerClient } from './lib/worker-client.ts';
import { startWranglerDev, type DevServer } from './lib/wrangler-dev.ts';

const program = new Command('npx tsx scripts/online-trial.ts')
  .description('A foreign writer taught to a personal model through the public routes; poison sent alongside; figures to --out.')
  .option('--url <url>', 'a running Worker (npm start); default: start wrangler dev on fresh state')
  .option('--check <n>', 'other digits of the writer to measure on', '1200')
  .option('--writer <name>', `the writer to teach (${Object.keys(WRITERS).join(', ')})`, 'continental')
  .option('--moved <n>', 'moved and scaled MNIST test digits to measure on', '1000')
  .option('--out <file>', 'machine-readable results', 'out/online-trial.json')
  .showHelpAfterError();

const DELIVERIES = 12;
const PER_DELIVERY = 50;

async function main(): Promise<void> {
  const o = program.parse().opts<{ url?: string; check: string; moved: string; out: string; writer: string }>();
  if (!(o.writer in WRITERS)) fail(`--writer must be one of ${Object.keys(WRITERS).join(', ')}`);
  const log = (line: string) => console.log(line);
  let server: DevServer | null = null;
  let w: WorkerClient;
  if (o.url) {
    const [webhookSecret, adminToken] = [devVar('WEBHOOK_SECRET'), devVar('ADMIN_TOKEN')];
    if (!webhookSecret || !adminToken) fail('WEBHOOK_SECRET and ADMIN_TOKEN must be set (environment or .dev.vars) to use --url');
    w = { url: o.url.replace(/\/$/, ''), webhookSecret, adminToken };
  } else {
    const secrets = { WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`, ADMIN_TOKEN: randomBytes(24).toString('hex') };
    log('starting wrangler dev on fresh local state ...');
    server = await startWranglerDev({ vars: secrets, logLevel: 'log' });
    w = { url: server.url, webhookSecret: secrets.WEBHOOK_SECRET, adminToken: secrets.ADMIN_TOKEN };
  }
  try {
    await trial(w, { check: Number(o.check), moved: Number(o.moved), out: o.out, writer: o.writer as WriterName }, log);
  } finally {
    await server?.stop();
  }
}

async function trial(w: WorkerClient, o: { check: number; moved: number; out: string; writer: WriterName }, log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  const train = foreignDigits(DELIVERIES * PER_DELIVERY, 1, o.writer);
  const check = foreignDigits(o.check, 2, o.writer);
  const extra = foreignDigits(PER_DELIVERY, 3, o.writer);
  const { train: mnistTrain, test } = loadMnist();
  const moved = movedMnist(test, balancedIndices(test, o.moved, 2000), 7);
  log(`sets: ${train.length} digits of the writer to send, ${check.length} others to measure on, ${moved.length} moved and scaled MNIST test digits (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const model = `writer-${Date.now().toString(36)}`;

  const before = {
    digitsVersion: (await accuracyOf(w, check.slice(0, 1))).versions,
    writer: await accuracyOf(w, check),
    moved: await accuracyOf(w, moved),
  };
  log(`digits before: the writer ${pct(before.writer.accuracy)}, moved MNIST ${pct(before.moved.accuracy)} (${[...before.writer.versions].join(', ')})`);

  // 12 deliveries of 50 images, sent at once; the first creates the model.
  const sentAt = Date.now();
  const ids: string[] = [];
  for (let k = 0; k < DELIVERIES; k++) {
    const examples = train.slice(k * PER_DELIVERY, (k + 1) * PER_DELIVERY).map((d) => ({ label: d.label, image: base64(d.png) }));
    ids.push(await deliver(w, { model, base: 'digits', examples }));
  }
  const lastSent = Date.now();
  const decided = await waitForDecisions(w, model, ids, 600_000);
  const decidedAt = Math.max(...[...decided.values()].map((d) => Date.parse(d.at)));
  const accepted = ids.filter((id) => decided.get(id)!.outcome === 'accepted');
  const current = (await adminModel(w, model)).current;
  await waitForServed(w, model, current, check[0].png);
  const servedAt = Date.now();
  const after = { writer: await accuracyOf(w, check, model), moved: await accuracyOf(w, moved, model), digitsMoved: await accuracyOf(w, moved) };
  const lines = [
    `${model}: ${accepted.length} of ${DELIVERIES} deliveries accepted; all decided ${((decidedAt - sentAt) / 1000).toFixed(1)} s after the first was sent ` +
      `(sending took ${((lastSent - sentAt) / 1000).toFixed(1)} s); ${current} served ${((servedAt - sentAt) / 1000).toFixed(1)} s after the first was sent`,
    `the writer's other digits: ${pct(before.writer.accuracy)} with digits -> ${pct(after.writer.accuracy)} with ${model} (${signed(after.writer.accuracy - before.writer.accuracy)} points)`,
    `moved and scaled MNIST: ${pct(after.moved.accuracy)} with ${model}, ${pct(after.digitsMoved.accuracy)} with digits (${signed(after.moved.accuracy - after.digitsMoved.accuracy)} points)`,
  ];
  for (const id of ids.filter((x) => decided.get(x)!.outcome === 'rejected')) lines.push(`  rejected ${id}: ${decided.get(id)!.reason}`);
  lines.forEach(log);
  const digitsAfter = (await accuracyOf(w, check.slice(0, 1))).versions;
  const digitsUnchanged = [...digitsAfter].join() === [...before.digitsVersion].join() && after.digitsMoved.accuracy === before.moved.accuracy;
  log(`digits unchanged: ${digitsUnchanged ? 'yes' : 'NO'} (${[...digitsAfter].join(', ')}; moved MNIST ${pct(after.digitsMoved.accuracy)})`);

  // One correct delivery sent together with four poisoned ones.
  const sevens: number[] = [];
  for (let i = 20_000; sevens.length < 4 * PER_DELIVERY; i++) if (mnistTrain.labels[i] === 7) sevens.push(i);
  const pixels = (i: number) => Array.from(mnistTrain.pixels.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1e4) / 1e4);
  const poisonSentAt = Date.now();
  const correct = await deliver(w, { model, examples: extra.map((d) => ({ label: d.label, image: base64(d.png) })) }, `msg_correct_${crypto.randomUUID()}`);
  const poisoned: string[] = [];
  for (let k = 0; k < 4; k++) {
    poisoned.push(await deliver(w, { model, examples: sevens.slice(k * PER_DELIVERY, (k + 1) * PER_DELIVERY).map((i) => ({ label: 1, pixels: pixels(i) })) }, `msg_poison_${k}_${crypto.randomUUID()}`));
  }
  const poisonDecided = await waitForDecisions(w, model, [correct, ...poisoned], 600_000);
  const poisonAt = Math.max(...[correct, ...poisoned].map((id) => Date.parse(poisonDecided.get(id)!.at)));
  log(`one correct delivery with four poisoned ones (sevens labelled 1), decided in ${((poisonAt - poisonSentAt) / 1000).toFixed(1)} s:`);
  for (const id of [correct, ...poisoned]) log(`  ${id.slice(0, 20)}: ${poisonDecided.get(id)!.outcome} (${poisonDecided.get(id)!.reason.replace(/ \(McNemar.*$/, '')})`);
  const final = await accuracyOf(w, check, model);

  const results = {
    at: new Date().toISOString(), model, deliveries: DELIVERIES, perDelivery: PER_DELIVERY,
    accepted: accepted.length, decidedSeconds: (decidedAt - sentAt) / 1000,
    writer: { before: before.writer.accuracy, after: after.writer.accuracy, afterPoison: final.accuracy },
    moved: { digits: after.digitsMoved.accuracy, personal: after.moved.accuracy, digitsBefore: before.moved.accuracy },
    digitsUnchanged,
    poison: { correct: poisonDecided.get(correct)!.outcome, poisoned: poisoned.map((id) => poisonDecided.get(id)!.outcome), decidedSeconds: (poisonAt - poisonSentAt) / 1000 },
    rejected: ids.filter((x) => decided.get(x)!.outcome === 'rejected').map((id) => decided.get(id)!.reason),
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(results, null, 1)}\n`);
  log(`the writer after the poisoned deliveries: ${pct(final.accuracy)}; results in ${o.out}`);
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;
}

runMain(main);
