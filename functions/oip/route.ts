import type { Context } from 'hono';
import { MODEL_NAME } from '../../src/registry/manifest.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { mediaType, readBody } from '../http/body.ts';
import { formatIssues, parseJson } from '../http/json.ts';
import { allowHeader, refuseOtherMethods } from '../http/methods.ts';
import { ApiApp } from '../http/openapi.ts';
import { parseEngineMode } from '../inference/engines.ts';
import { MAX_INFER_BYTES } from '../limits.ts';
import type { ServedModel } from '../models/model.ts';
import { executionContext } from '../predict/handler.ts';
import { SERVER } from '../server.ts';
import { InferenceError, inferenceErrorBody, onInferenceError } from './errors.ts';
import { modelTensors, type TensorMetadata } from './metadata.ts';
import * as spec from './spec.ts';
import { answerOutputs, readInput } from './tensors.ts';

/** The protocol's extensions this server implements (server metadata lists them). */
export const EXTENSIONS = ['classification'];

/** The platform of every served model: ONNX, run by onnxruntime (or the core, with the same answers). */
const PLATFORM = 'onnx_onnxv1';

/** A model's tensors, read once per version from its ONNX envelope. */
const tensorsOf = new WeakMap<Uint8Array, { inputs: TensorMetadata[]; outputs: TensorMetadata[] }>();

/**
 * The Open Inference Protocol v2 REST data plane (KServe's; Triton, Seldon MLServer and OpenVINO
 * Model Server speak it too), over the same catalog and engines as /v1/predict:
 * - GET /v2, /v2/health/live, /v2/health/ready: server metadata and probes;
 * - GET /v2/models/:name[/versions/:version][/ready]: a model's metadata (versions, platform,
 *   input and output tensors) and readiness;
 * - POST /v2/models/:name[/versions/:version]/infer: a batch of FP32 tensors or BYTES images in,
 *   FP32 probabilities (or, with `classification`, the top classes) out.
 * Any model the catalog serves is addressed by name, and any of its registry versions by name.
 * Errors are the protocol's `{ "error": "message" }`.
 *
 * @example
 * curl -s localhost:8787/v2/models/digits/infer -H 'content-type: application/json' \
 *   -d '{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[0,0,...]}]}'
 */
export function inferenceRoute(deps: AppDeps) {
  const app = new ApiApp<AppEnv>();
  // Set before the app is mounted: Hono wraps a sub-app's routes in its error handler then.
  app.onError(onInferenceError);

  /** The version a path names (the current one without `version`): 404 when there is none. */
  const modelOf = async (c: Context<AppEnv>, name: string, version?: string): Promise<ServedModel> => {
    const model = await deps.catalog.find(name, version, registrySource(c.env));
    if (model) return model;
    if (version === undefined || !(await deps.catalog.find(name, undefined, registrySource(c.env)))) throw unknownModel(name);
    throw unknownVersion(name, version);
  };

  const metadata = async (c: Context<AppEnv>, name: string, version?: string) => {
    const model = await modelOf(c, name, version);
    const { inputs, outputs } = tensors(model);
    const versions = (await deps.catalog.versionNames(name, registrySource(c.env))) ?? [model.version];
    return c.json({ name, versions, platform: PLATFORM, inputs, outputs }, 200);
  };

  const ready = async (c: Context<AppEnv>, name: string, version?: string) => {
    try {
      await modelOf(c, name, version);
    } catch (e) {
      if (e instanceof InferenceError) throw e;
      console.error(`model ${name}${version ? `@${version}` : ''} is not ready`, e);
      return c.json({ name, ready: false }, 200);
    }
    return c.json({ name, ready: true }, 200);
  };

  const run = async (c: Context<AppEnv>, name: string, version?: string) => {
    const body = await readBody(c.req.raw, MAX_INFER_BYTES, 'inference request');
    const type = mediaType(c.req.header('content-type'));
    if (type !== 'application/json') throw new InferenceError(415, `content type "${type || '(none)'}" is not accepted; send application/json (an inference request)`);
    const parsed = spec.InferenceRequest.safeParse(parseJson(body, '(an inference request)'));
    if (!parsed.success) throw new InferenceError(400, `not an inference request: ${formatIssues(parsed.error.issues)}`);
    const request = parsed.data;
    const model = await modelOf(c, name, version);
    const { inputs: [input], outputs: [output] } = tensors(model);
    const batch = readInput(request.inputs, { name: input.name, shape: model.inputShape });
    const waitUntil = (work: Promise<unknown>) => executionContext(c)?.waitUntil(work);
    const engine = await deps.engines.get(model, parseEngineMode(c.env?.INFERENCE_ENGINE), c.env?.ONNXRUNTIME, waitUntil);
    const rows = await engine.predict(batch.values, batch.examples);
    return c.json({
      model_name: model.name,
      model_version: model.version,
      ...(request.id !== undefined ? { id: request.id } : {}),
      outputs: answerOutputs(request.outputs, output.name, rows, batch.examples),
    }, 200);
  };

  const routes = app
    .openapi(spec.serverMetadata, (c) => c.json({ name: SERVER.name, version: SERVER.version, extensions: EXTENSIONS }, 200))
    .openapi(spec.serverLive, (c) => c.json({ live: true }, 200))
    .openapi(spec.serverReady, async (c) => {
      const source = registrySource(c.env);
      try {
        await Promise.all(deps.catalog.bundledNames.map((name) => deps.catalog.current(name, source)));
      } catch (e) {
        console.error('not ready: a bundled model does not load', e);
        return c.json({ ready: false }, 503);
      }
      return c.json({ ready: true }, 200);
    })
    .openapi(spec.modelMetadata, (c) => metadata(c, c.req.valid('param').name), notFoundHook)
    .openapi(spec.versionMetadata, (c) => metadata(c, c.req.valid('param').name, c.req.valid('param').version), notFoundHook)
    .openapi(spec.modelReady, (c) => ready(c, c.req.valid('param').name), notFoundHook)
    .openapi(spec.versionReady, (c) => ready(c, c.req.valid('param').name, c.req.valid('param').version), notFoundHook)
    .openapi(spec.infer, (c) => run(c, c.req.valid('param').name), notFoundHook)
    .openapi(spec.versionInfer, (c) => run(c, c.req.valid('param').name, c.req.valid('param').version), notFoundHook);

  // The protocol's paths answer in its error shape also when nothing serves them.
  app.get('/v2/', (c) => c.json({ name: SERVER.name, version: SERVER.version, extensions: EXTENSIONS }, 200));
  refuseOtherMethods(app, (allowed) => (c) =>
    c.json(inferenceErrorBody(`${c.req.method} is not allowed on ${new URL(c.req.url).pathname}; use ${allowed.join(' or ')}`), 405, { Allow: allowHeader(allowed) }));
  app.all('/v2/*', (c) => c.json(inferenceErrorBody(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  return routes;
}

/** The tensors of a version's ONNX graph, read once. */
function tensors(model: ServedModel) {
  let t = tensorsOf.get(model.bytes);
  if (!t) {
    t = modelTensors(model.bytes);
    tensorsOf.set(model.bytes, t);
  }
  return t;
}

function unknownModel(name: string): InferenceError {
  return new InferenceError(404, `no model named '${name}'; GET /v1/models lists them`);
}

function unknownVersion(name: string, version: string): InferenceError {
  return new InferenceError(404, `model '${name}' has no version '${version}'; GET /v2/models/${name} lists its versions`);
}

/** A path whose name or version cannot name one names none. */
function notFoundHook(result: { success: boolean }, c: { req: { param(key: string): string | undefined } }): undefined {
  if (result.success) return undefined;
  const [name, version] = [c.req.param('name') ?? '', c.req.param('version')];
  throw version !== undefined && MODEL_NAME.test(name) ? unknownVersion(name, version) : unknownModel(name);
}
