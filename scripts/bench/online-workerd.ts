import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { loadMnist } from '../lib/mnist.ts';
import { adminModel, deliver, predictPng, waitForDecisions, type Delivery, type WorkerClient } from '../lib/worker-client.ts';
import { startWranglerDev, type DevServer } from '../lib/wrangler-dev.ts';
import { pngGray } from '../lib/digit-synth.ts';
import { fixed, median, table, type BenchContext, type BenchSection } from './section.ts';

/**
 * The online trainer as it runs under `npm start` (wrangler dev: the Worker, its queue, one Durable
 * Object per model, local R2), driven through the public routes with signed deliveries of 50 MNIST
 * training digits each:
 *   1. latency: one delivery at a time, the time from the webhook's 202 to the gate's decision, and
 *      to /v1/predict answering with the new version (MODEL_REFRESH_SECONDS as wrangler.toml sets it);
 *   2. throughput: many deliveries sent at once (the queue hands them over in batches, one round per
 *      batch): rounds/s, deliveries/s and examples/s of one model's trainer;
 *   3. scale-out: the same load spread over 1, 2 and 4 models (each its own trainer object) on one
 *      workerd, and over as many workerd processes as models (one `wrangler dev` each): how training
 *      spreads when the objects run on separate machines, as Cloudflare places them.
 */
export const onlineWorkerd: BenchSection = {
  name: 'online-workerd',
  description: 'the trainer under wrangler dev: webhook-to-decision and to-served times, rounds/s and examples/s, deliveries/s over 1-4 models (one Durable Object each)',
  run,
};

const PER_DELIVERY = 50;

async function run(ctx: BenchContext): Promise<void> {
  ctx.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const { train } = loadMnist();
  let next = 30_000;
  const delivery = (model: string, base?: string) => {
    const examples = Array.from({ length: PER_DELIVERY }, () => {
      const i = next++;
      return { label: train.labels[i], pixels: Array.from(train.pixels.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1e4) / 1e4) };
    });
    return { model, ...(base ? { base } : {}), examples };
  };
  const probe = pngGray(28, 28, Uint8Array.from(train.pixels.subarray(0, 784), (v) => Math.round(255 * (1 - v))));

  const server = await start();
  try {
    const w = server.client;
    // 1. Latency, one delivery at a time.
    const toDecision: number[] = [];
    const toServed: number[] = [];
    for (let k = 0; k < (ctx.quick ? 1 : 5); k++) {
      const t0 = Date.now();
      const id = await deliver(w, delivery('digits'));
      const decided = (await waitForDecisions(w, 'digits', [id], 300_000)).get(id)!;
      toDecision.push(Date.now() - t0);
      if (decided.version) {
        while ((await predictPng(w, probe)).version !== decided.version) await new Promise((r) => setTimeout(r, 100));
        toServed.push(Date.now() - t0);
      }
    }
    ctx.log(`one delivery of ${PER_DELIVERY} at a time: webhook to decision ${fixed(median(toDecision) / 1000, 2)} s, to a new version served ${fixed(median(toServed) / 1000, 2)} s (medians of ${toDecision.length}; MODEL_REFRESH_SECONDS 10)`);

    // 2. Throughput of one model's trainer.
    const n = ctx.quick ? 3 : 30;
    const before = (await adminModel(w, 'digits')).decisions.length;
    const t0 = Date.now();
    const ids = await Promise.all(Array.from({ length: n }, () => deliver(w, delivery('digits'))));
    await waitForDecisions(w, 'digits', ids, 900_000);
    const seconds = (Date.now() - t0) / 1000;
    const rounds = (await adminModel(w, 'digits')).decisions.length - before;
    ctx.log(`${n} deliveries sent at once: ${rounds} rounds in ${fixed(seconds, 1)} s: ${fixed(rounds / seconds, 2)} rounds/s, ${fixed(n / seconds, 2)} deliveries/s, ${fixed((n * PER_DELIVERY) / seconds, 0)} examples/s`);
  } finally {
    await server.stop();
  }

  // 3. Models x deliveries/s: one workerd for all, then one workerd per model (--quick: 2 models, 2 deliveries each, one process each).
  const perModel = ctx.quick ? 2 : 8;
  const rows: string[][] = [];
  for (const models of ctx.quick ? [2] : [1, 2, 4]) {
    if (!ctx.quick) {
      const shared = await start();
      try {
        rows.push(['one workerd', String(models), ...(await spread([shared.client], models, perModel, delivery))]);
      } finally {
        await shared.stop();
      }
    }
    if (models === 1) continue;
    const servers = await Promise.all(Array.from({ length: models }, () => start()));
    try {
      rows.push([`${models} workerd processes`, String(models), ...(await spread(servers.map((s) => s.client), models, perModel, delivery))]);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  ctx.log(table(['trainers on', 'models', 'deliveries', 'seconds', 'deliveries/s', 'examples/s'], rows));
  ctx.log(`(${cpus().length} cores here: processes beyond that share them; on Cloudflare each model's object runs where Cloudflare places it)`);
}

/** `perModel` deliveries to each of `models` personal models at once (model k on client k mod clients); the throughput. */
async function spread(clients: WorkerClient[], models: number, perModel: number, delivery: (model: string, base?: string) => Delivery): Promise<string[]> {
  const names = Array.from({ length: models }, (_, k) => `bench-${k}-${randomBytes(3).toString('hex')}`);
  // Create each model first (its fork), so that creating it is not timed.
  await Promise.all(names.map(async (name, k) => {
    const w = clients[k % clients.length];
    const id = await deliver(w, delivery(name, 'digits'));
    await waitForDecisions(w, name, [id], 300_000);
  }));
  const t0 = Date.now();
  await Promise.all(names.map(async (name, k) => {
    const w = clients[k % clients.length];
    const ids = await Promise.all(Array.from({ length: perModel }, () => deliver(w, delivery(name))));
    await waitForDecisions(w, name, ids, 900_000);
  }));
  const seconds = (Date.now() - t0) / 1000;
  const total = models * perModel;
  return [String(total), fixed(seconds, 1), fixed(total / seconds, 2), fixed((total * PER_DELIVERY) / seconds, 0)];
}

async function start(): Promise<{ client: WorkerClient; stop: () => Promise<void>; server: DevServer }> {
  const secrets = { WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`, ADMIN_TOKEN: randomBytes(24).toString('hex') };
  const server = await startWranglerDev({ vars: secrets, timeoutMs: 180_000 });
  return { server, client: { url: server.url, webhookSecret: secrets.WEBHOOK_SECRET, adminToken: secrets.ADMIN_TOKEN }, stop: () => server.stop() };
}
