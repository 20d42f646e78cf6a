#!/usr/bin/env -S npx tsx
/**
 * npm run webhook -- [--url http://127.0.0.1:8787] [--model digits] --label 3 three.png [--label 7 seven.jpg ...]
 * npm run webhook -- --pixels-from-mnist 100 [--offset 30000] [--relabel 7] [--wait]
 *
 * Signs labelled digits as a Standard Webhooks delivery (the `standardwebhooks` package, with
 * WEBHOOK_SECRET from the environment or .dev.vars) and sends it to POST /v1/webhooks/training.
 * Prints the answer; with --wait, polls the admin's GET /v1/admin/models/:name (ADMIN_TOKEN from the
 * environment or .dev.vars: the public route counts deliveries, it does not name them) until the
 * trainer has decided on it. `--model writer-a --base digits` creates a personal model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Webhook } from 'standardwebhooks';
import { createClient, type Client, type InferRequestType } from '../client/index.ts';
import { DEFAULT_MODEL, MAX_EXAMPLES_PER_DELIVERY } from '../functions/limits.ts';
import { fail, runMain } from './lib/cli.ts';
import { devVar } from './lib/dev-vars.ts';
import { loadMnist } from './lib/mnist.ts';

/** `--label <digit> <image>` pairs, taken out of argv before commander sees the rest. */
function takeLabelledImages(argv: string[]): { rest: string[]; images: Array<{ label: number; path: string }> } {
  const rest: string[] = [];
  const images: Array<{ label: number; path: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--label') {
      rest.push(argv[i]);
      continue;
    }
    const [label, path] = [argv[i + 1], argv[i + 2]];
    if (!/^[0-9]$/.test(label ?? '') || !path) fail('--label takes a digit and an image file: --label 3 three.png');
    images.push({ label: Number(label), path });
    i += 2;
  }
  return { rest, images };
}

const program = new Command('npm run webhook --')
  .description('Sign and send labelled digits to the training webhook.')
  .usage('[options] --label <digit> <image> [--label <digit> <image> ...]')
  .option('--url <url>', 'the Worker', 'http://127.0.0.1:8787')
  .option('--model <name>', 'the model to train', DEFAULT_MODEL)
  .option('--base <name>', 'for a model that does not exist yet: the model to fork it from (a personal model)')
  .option('--id <id>', 'the webhook-id (default: a new msg_<uuid>); send one twice to see it applied once')
  .option('--pixels-from-mnist <n>', 'also send n MNIST training digits as pixels (from --offset on)')
  .option('--offset <i>', 'first MNIST training image for --pixels-from-mnist (30000: outside the replay buffer\'s seed)', '30000')
  .option('--relabel <digit>', 'label every MNIST digit as this one instead (a poisoning try: the gate should reject it)')
  .option('--wait', 'wait until the trainer has decided on the delivery, and print the decision')
  .addHelpText('after', '\n  --label <digit> <image>  a PNG or JPEG of a digit and its label (repeatable)')
  .showHelpAfterError();

async function main(): Promise<void> {
  const { rest, images } = takeLabelledImages(process.argv.slice(2));
  program.parse(rest, { from: 'user' });
  const o = program.opts<{ url: string; model: string; base?: string; id?: string; pixelsFromMnist?: string; offset: string; relabel?: string; wait?: boolean }>();
  const examples: Delivery['examples'] = [];
  for (const { label, path } of images) {
    if (!existsSync(path)) fail(`cannot read '${path}'`);
    examples.push({ label, image: readFileSync(path).toString('base64') });
  }
  if (o.pixelsFromMnist) {
    const n = Number(o.pixelsFromMnist);
    const offset = Number(o.offset);
    if (!Number.isInteger(n) || n < 1) fail('--pixels-from-mnist takes a positive number');
    if (o.relabel !== undefined && !/^[0-9]$/.test(o.relabel)) fail('--relabel takes a digit');
    const { train } = loadMnist();
    if (!Number.isInteger(offset) || offset < 0 || offset + n > train.n) fail(`--offset must leave ${n} images in the 60,000`);
    for (let i = offset; i < offset + n; i++) {
      const pixels = Array.from(train.pixels.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1e4) / 1e4);
      examples.push({ label: o.relabel !== undefined ? Number(o.relabel) : train.labels[i], pixels });
    }
  }
  if (!examples.length) fail('nothing to send: give --label <digit> <image> pairs and/or --pixels-from-mnist <n>');
  if (examples.length > MAX_EXAMPLES_PER_DELIVERY) fail(`a delivery holds at most ${MAX_EXAMPLES_PER_DELIVERY} examples; got ${examples.length}`);

  const secret = devVar('WEBHOOK_SECRET');
  if (!secret) fail('WEBHOOK_SECRET is not set (environment or .dev.vars; see .dev.vars.example)');
  const id = o.id ?? `msg_${crypto.randomUUID()}`;
  const delivery: Delivery = { model: o.model, ...(o.base ? { base: o.base } : {}), examples };
  // The signature covers these exact bytes, so they are what is sent (`init.body`).
  const payload = JSON.stringify(delivery);
  const now = new Date();
  const signature = new Webhook(secret).sign(id, now, payload);
  const base = o.url.replace(/\/$/, '');
  const api = createClient(base);
  let res: Response;
  try {
    res = await api.v1.webhooks.training.$post({ json: delivery }, {
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature },
      init: { body: payload },
    });
  } catch (e) {
    fail(`${base} does not answer (${(e as Error).message}); start the Worker with npm start`);
  }
  console.log(`${res.status} ${await res.text()}`);
  if (res.status !== 202) process.exit(1);
  if (o.wait) await waitForDecision(api, o.model, id);
}

/** The body of POST /v1/webhooks/training, as the API declares it. */
type Delivery = InferRequestType<Client['v1']['webhooks']['training']['$post']>['json'];

async function waitForDecision(api: Client, model: string, id: string): Promise<void> {
  const adminToken = devVar('ADMIN_TOKEN');
  if (!adminToken) fail('--wait reads the decision from the admin route: set ADMIN_TOKEN (environment or .dev.vars)');
  const until = Date.now() + 300_000;
  while (Date.now() < until) {
    const res = await api.v1.admin.models[':name'].$get({ param: { name: model } }, { headers: { authorization: `Bearer ${adminToken}` } });
    if (res.status !== 200) fail(`GET /v1/admin/models/${model} answered ${res.status}: ${await res.text()}`);
    const details = await res.json();
    const decision = details.decisions.find((d) => !d.split && d.deliveries.includes(id));
    if (decision) {
      console.log(decision.accepted
        ? `accepted: ${decision.candidate} is current; ${decision.reason}`
        : `rejected: ${decision.reason}; ${details.current} stays current`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  fail('no decision within 5 minutes (is the queue consumer running? see the Worker\'s log)');
}

runMain(main);
