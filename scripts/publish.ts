#!/usr/bin/env -S npx tsx
/**
 * npm run publish -- <model.onnx> [--name digits] [--url http://127.0.0.1:8787 | --remote <url>] [--note ...]
 *
 * Publishes a model trained on the workstation as a new version of the registry, after checking it
 * here first: it loads in onnxruntime-node, takes 784 pixels and answers 10 values, and imports into
 * the core with the same answer (what online training needs). Metrics come from its model card
 * (`<model>.json` beside it) and its metadata.
 * - `--url` (default): the local Worker of `npm start`, through its admin route (ADMIN_TOKEN from the
 *   environment or .dev.vars). When nothing answers there, the version is written straight into the
 *   local R2 that `npm start` persists (.wrangler/state/v3), so the next `npm start` serves it.
 * - `--remote <url>`: the deployed Worker, through the same admin route; ADMIN_TOKEN must be set in
 *   the environment (the Worker's secret). The Worker checks the model again in onnxruntime-web and
 *   updates the manifest in the real bucket by compare-and-swap.
 * Through the Worker, the model becomes current only if it is not significantly worse than the
 * current version on the anchor holdout (the online gate's test); otherwise it is stored and the
 * reason printed. `--force` makes it current anyway.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Miniflare } from 'miniflare';
import * as ort from 'onnxruntime-node';
import { createClient } from '../client/index.ts';
import { DEFAULT_MODEL } from '../functions/limits.ts';
import { checkModel, describeOnnx, metricsOf, probeWith, type ModelCard } from '../src/models/index.ts';
import { MODEL_NAME, ModelRegistry, type ObjectStore } from '../src/registry/index.ts';
import { fail, runMain } from './lib/cli.ts';
import { devVar, modelsBucketName } from './lib/dev-vars.ts';

/** Where `wrangler dev` (npm start) keeps its local state, R2 included. */
export const LOCAL_STATE = '.wrangler/state/v3';

const program = new Command('npm run publish --')
  .description('Publish a model trained on the workstation as a new version of the model registry.')
  .argument('<model>', 'the .onnx file (its card, <model>.json, is read for metrics when present)')
  .option('--name <name>', 'the model to publish a version of', DEFAULT_MODEL)
  .option('--url <url>', 'the local Worker (npm start); when it does not answer, its local R2 is written directly', 'http://127.0.0.1:8787')
  .option('--remote <url>', 'the deployed Worker (needs ADMIN_TOKEN in the environment)')
  .option('--note <text>', 'a note kept with the version')
  .option('--force', 'make it current even if it scores significantly worse than the current version on the anchor holdout')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const [path] = program.args;
  const o = program.opts<{ name: string; url: string; remote?: string; note?: string; force?: boolean }>();
  if (!MODEL_NAME.test(o.name)) fail(`--name '${o.name}' must be lowercase letters, digits and dashes`);
  if (!existsSync(path)) fail(`cannot read '${path}'`);
  const bytes = new Uint8Array(readFileSync(path));

  try {
    await checkModel(probeWith(ort), bytes);
  } catch (e) {
    fail(`${path} cannot be published: ${(e as Error).message}`);
  }
  const cardPath = path.replace(/\.onnx$/i, '') + '.json';
  const card = existsSync(cardPath) ? (JSON.parse(readFileSync(cardPath, 'utf8')) as ModelCard) : undefined;
  const metrics = metricsOf(describeOnnx(bytes).metadata, card);
  console.log(`${path}: loads in onnxruntime-node, 784 -> 10, imports into the core; metrics ${JSON.stringify(metrics)}${card ? ` (card ${cardPath})` : ''}`);

  const target = o.remote ?? o.url;
  const token = o.remote ? process.env.ADMIN_TOKEN : devVar('ADMIN_TOKEN');
  const api = createClient(target.replace(/\/$/, ''), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  let res;
  try {
    res = await api.v1.models[':name'].versions.$post(
      { param: { name: o.name }, query: { metrics: JSON.stringify(metrics), ...(o.note ? { note: o.note } : {}), ...(o.force ? { force: 'true' as const } : {}) } },
      { headers: { 'content-type': 'application/octet-stream' }, init: { body: bytes } },
    );
  } catch (e) {
    if (o.remote) fail(`${target} does not answer: ${(e as Error).message}`);
    await publishToLocalR2(bytes, o.name, metrics, o.note);
    return;
  }
  if (res.status !== 201) {
    const hint = res.status === 401 || res.status === 403 ? (o.remote ? ' (set ADMIN_TOKEN to the Worker\'s secret)' : ' (set ADMIN_TOKEN, or put it in .dev.vars as the Worker has it)') : '';
    fail(`${target} refused the model: ${res.status} ${await res.text()}${hint}`);
  }
  const { version, promoted, message } = await res.json();
  if (!promoted) {
    console.log(`published ${o.name} ${version.version} (sha256 ${version.sha256.slice(0, 12)}...) to ${target}, NOT current: ${message}`);
    return;
  }
  console.log(`published ${o.name} ${version.version} (sha256 ${version.sha256.slice(0, 12)}...) to ${target}: now current; predictions switch within MODEL_REFRESH_SECONDS`);
}

/** No local Worker answers: write into the R2 that `npm start` persists, as the Worker would. */
async function publishToLocalR2(bytes: Uint8Array, name: string, metrics: Record<string, number>, note?: string): Promise<void> {
  const bucket = modelsBucketName();
  const mf = new Miniflare({
    modules: true, script: 'export default { fetch() { return new Response(null); } }',
    r2Buckets: { MODELS: bucket }, r2Persist: `${LOCAL_STATE}/r2`,
  });
  try {
    const store = (await mf.getR2Bucket('MODELS')) as unknown as ObjectStore;
    const version = await new ModelRegistry(store, name).publish(bytes, { source: 'offline', metrics, note });
    console.log(`no Worker answers; published ${name} ${version.version} (sha256 ${version.sha256.slice(0, 12)}...) into the local R2 of npm start (${LOCAL_STATE}/r2, bucket ${bucket}): the next npm start serves it`);
  } finally {
    await mf.dispose();
  }
}

runMain(main);
