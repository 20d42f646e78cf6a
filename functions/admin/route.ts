import { z } from '@hono/zod-openapi';
import { checkModel } from '../../src/models/check.ts';
import { describeOnnx, metricsOf } from '../../src/models/describe.ts';
import { RECORD_BYTES } from '../../src/online/example.ts';
import { GATE_TEST, type GateVerdict } from '../../src/online/gate.ts';
import { ModelRegistry, RegistryError } from '../../src/registry/index.ts';
import { registrySource, type AppDeps, type AppEnv, type Bindings } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { ApiError, type ClientErrorStatus } from '../http/errors.ts';
import { formatIssues, parseJson } from '../http/json.ts';
import { ApiApp } from '../http/openapi.ts';
import { MAX_JSON_BYTES, MAX_MODEL_UPLOAD_BYTES, MAX_NOTE_CHARS } from '../limits.ts';
import { unknownModel, unknownModelHook } from '../models/route.ts';
import { judgeUpload } from '../models/upload-gate.ts';
import { requireOnnxRuntime } from '../inference/engines.ts';
import { deadLetterKey, listDeadLetters, readDeadLetter, type DeadLetterStore } from '../queue/dead-letters.ts';
import { sendTrainingMessage } from '../queue/message.ts';
import { requireAdmin } from './auth.ts';
import { getAdminModel, listDeadLetters as listRoute, promote, PromoteBody, publish, replayDeadLetter, rollback } from './spec.ts';

/** Content types a model upload may declare (none at all is taken as bytes too). */
const MODEL_TYPES = new Set(['', 'application/octet-stream', 'application/onnx', 'application/x-onnx']);

/**
 * The admin routes, behind `Authorization: Bearer <ADMIN_TOKEN>` (401 without, 403 wrong):
 * - POST /v1/models/:name/promote `{ "version": "v3" }`: make an existing version current;
 * - POST /v1/models/:name/rollback: make the current version's parent current;
 * - POST /v1/models/:name/versions (body: ONNX bytes; `?note=`, `?metrics={"testAccuracy":0.98}`,
 *   `?force=true`): publish a model trained offline, after proving it loads in onnxruntime, takes
 *   784 pixels, answers 10 values and imports into the core (422 naming the failed check
 *   otherwise); it becomes current only if it is not significantly worse than the current version
 *   on the anchor holdout (the online gate's test), or when forced; otherwise it is stored, and
 *   the answer says why it is not current;
 * - GET /v1/admin/models/:name: the model as GET /v1/models/:name shows it, with the deliveries
 *   each decision names, and its trainer's state (recent rounds, the inbox);
 * - GET /v1/admin/deadletters (`?cursor=`): deliveries whose training failed every attempt;
 * - POST /v1/admin/deadletters/:id/replay: queue one again (applied once, like any delivery).
 * Predicting isolates serve a new current version within MODEL_REFRESH_SECONDS.
 *
 * @example
 * curl -s -X POST localhost:8787/v1/models/digits/rollback -H "authorization: Bearer $ADMIN_TOKEN"
 */
export function adminRoute(deps: AppDeps) {
  const app = new ApiApp<AppEnv>();
  const guard = requireAdmin();
  for (const path of ['/v1/models/:name/promote', '/v1/models/:name/rollback', '/v1/models/:name/versions', '/v1/admin/*']) {
    app.post(path, guard);
  }
  app.get('/v1/admin/*', guard);

  const registryOf = async (env: Bindings | undefined, name: string) => {
    if (!(await deps.catalog.exists(name, registrySource(env)))) throw unknownModel(name);
    if (!env?.MODELS) throw new ApiError(503, 'registry_unavailable', 'this deployment has no model registry (the MODELS bucket)');
    return new ModelRegistry(env.MODELS, name, { verify: (bytes) => checkModel(requireOnnxRuntime(env.ONNXRUNTIME), bytes) });
  };

  return app
  .openapi(getAdminModel, async (c) => {
    const { name } = c.req.valid('param');
    const source = registrySource(c.env);
    if (!(await deps.catalog.exists(name, source))) throw unknownModel(name);
    const details = await deps.catalog.details(name, { ...source, refreshMs: 0 }, { ids: true });
    const trainers = c.env?.TRAINER;
    const trainer = trainers ? await trainers.get(trainers.idFromName(name)).status(name).catch((e: Error) => ({ error: e.message })) : null;
    return c.json({ ...details, trainer }, 200);
  }, unknownModelHook)

  .openapi(promote, async (c) => {
    const registry = await registryOf(c.env, c.req.valid('param').name);
    const type = mediaType(c.req.header('content-type'));
    if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'send application/json { "version": "vN" }');
    const body = PromoteBody.safeParse(parseJson(await readBody(c.req.raw, MAX_JSON_BYTES, 'JSON body'), '{ "version": "vN" }'));
    if (!body.success) throw new ApiError(422, 'invalid_body', `expected { "version": "vN" }; ${formatIssues(body.error.issues)}`);
    const manifest = await registryCall(() => registry.promote(body.data.version));
    return c.json({ name: registry.name, current: manifest.current!, event: manifest.events.at(-1) }, 200);
  }, unknownModelHook)

  .openapi(rollback, async (c) => {
    const registry = await registryOf(c.env, c.req.valid('param').name);
    const manifest = await registryCall(() => registry.rollback());
    return c.json({ name: registry.name, current: manifest.current!, event: manifest.events.at(-1) }, 200);
  }, unknownModelHook)

  .openapi(publish, async (c) => {
    const registry = await registryOf(c.env, c.req.valid('param').name);
    const type = mediaType(c.req.header('content-type'));
    if (!MODEL_TYPES.has(type)) throw new ApiError(415, 'unsupported_media_type', `content type "${type}" is not accepted; send the .onnx bytes as application/octet-stream`);
    const { note, metrics, force: forced } = c.req.valid('query');
    const force = forced === 'true' || forced === '';
    const given = parseMetrics(metrics);
    const bytes = await readBody(c.req.raw, MAX_MODEL_UPLOAD_BYTES, 'model');
    if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'the body is empty; send the bytes of an .onnx model');
    let metadataMetrics: Record<string, number> = {};
    try {
      metadataMetrics = metricsOf(describeOnnx(bytes).metadata);
    } catch {
      // not ONNX: checkModel (the registry's verify) names the problem below
    }
    await registryCall(() => registry.check(bytes));
    const gate = await scoreUpload(deps, registry, bytes);
    const promoted = force || gate.accepted;
    const version = await registryCall(() => registry.publish(bytes, { source: 'offline', metrics: { ...metadataMetrics, ...given }, note, makeCurrent: promoted, verified: true }));
    const { manifest } = await registry.read();
    // Nothing current in the registry yet: the bundled model is still what is served.
    const current = manifest.current ?? (await deps.catalog.bundledVersion(registry.name)).version;
    const message = promoted
      ? `${version.version} is current${force && !gate.accepted ? ' (forced)' : ''}`
      : `${version.version} is stored but not current: ${gate.reason}. Serve it anyway with POST /v1/models/${registry.name}/promote {"version":"${version.version}"}, or upload with ?force=true`;
    return c.json({ name: registry.name, current, version, promoted, gate, message }, 201);
  }, (result, c) => {
    // A `:name` that is no model name is an unknown model; a note over its length is invalid; so is a `force` other than true or false.
    if (result.success) return undefined;
    if (result.target === 'param') throw unknownModel(c.req.param('name'));
    if (c.req.query('force') !== undefined && !['true', 'false', ''].includes(c.req.query('force')!)) {
      throw new ApiError(422, 'invalid_query', `force must be "true" or "false"; got ${JSON.stringify(c.req.query('force')!.slice(0, 50))}`);
    }
    throw new ApiError(422, 'invalid_note', `the note may hold at most ${MAX_NOTE_CHARS} characters`);
  })

  .openapi(listRoute, async (c) => {
    return c.json(await listDeadLetters(deadLetters(c.env), c.req.valid('query').cursor || undefined), 200);
  })

  .openapi(replayDeadLetter, async (c) => {
    const id = c.req.valid('param').id;
    const store = deadLetters(c.env);
    const message = await readDeadLetter(store, id);
    if (!message) throw new ApiError(404, 'not_found', `no dead letter for delivery '${id}'; GET /v1/admin/deadletters lists them`);
    const queue = c.env?.TRAINING_QUEUE;
    if (!queue) throw new ApiError(503, 'training_unavailable', 'this deployment has no training queue (TRAINING_QUEUE)');
    await sendTrainingMessage(queue, message);
    await store.delete(deadLetterKey(id));
    return c.json({ replayed: id, examples: message.records.length / RECORD_BYTES }, 202);
  });
}

/**
 * An upload's verdict: scored on the anchor holdout against the version being served (the bundled
 * model while the registry has none), with the online gate's test. Without a holdout in this
 * deployment it cannot be scored, and is not made current unless forced.
 */
async function scoreUpload(deps: AppDeps, registry: ModelRegistry, bytes: Uint8Array): Promise<GateVerdict & { holdoutAccuracy?: number; currentHoldoutAccuracy?: number; test: string }> {
  if (!deps.holdout) return { accepted: false, reason: 'this deployment has no anchor holdout to score an upload on', checks: [], test: GATE_TEST };
  const served = await registry.serving();
  const bundled = deps.catalog.bundledBytes()[registry.name];
  const current = served ? { version: served.version.version, bytes: served.bytes } : bundled ? { version: 'the bundled model', bytes: bundled } : null;
  if (!current) return { accepted: true, reason: 'nothing is served yet to compare it with', checks: [], test: GATE_TEST };
  const verdict = await judgeUpload(bytes, current, await deps.holdout(), () => deps.engines.backend());
  return { ...verdict, test: GATE_TEST };
}

function deadLetters(env: Bindings | undefined): DeadLetterStore {
  if (!env?.MODELS) throw new ApiError(503, 'registry_unavailable', 'this deployment has no bucket (MODELS) for dead letters');
  return env.MODELS;
}

/** `?metrics=` as numbers by name (`{"testAccuracy":0.984}`): 422 for anything else. */
function parseMetrics(text: string | undefined): Record<string, number> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(422, 'invalid_metrics', 'metrics must be a JSON object of numbers, e.g. {"testAccuracy":0.984}');
  }
  const r = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), z.number()).safeParse(value);
  if (!r.success) throw new ApiError(422, 'invalid_metrics', `metrics must be a JSON object of numbers; ${formatIssues(r.error.issues, ['metrics'])}`);
  return r.data;
}

const REGISTRY_STATUS: Record<RegistryError['code'], ClientErrorStatus> = {
  invalid_name: 404, not_found: 404, invalid_model: 422, corrupt: 409, conflict: 409, stale: 409, no_parent: 409, limit: 409,
};

/** Runs a registry operation, answering its refusals with their HTTP status (the message names what is wrong). */
async function registryCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof RegistryError) throw new ApiError(REGISTRY_STATUS[e.code], e.code, e.message);
    throw e;
  }
}
