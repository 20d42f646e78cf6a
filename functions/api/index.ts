import { env } from 'cloudflare:workers';
import digitsCard from '../../models/digits.json';
import digitsOnnx from '../../models/digits.onnx';
import type { Bindings } from '../context.ts';
import { Engines } from '../inference/engines.ts';
import { coreBackend } from '../inference/kernels.ts';
import type { OnnxRuntimeService } from '../inference/onnxruntime-service.ts';
import { DEFAULT_MODEL, MODEL_VERSIONS_KEPT } from '../limits.ts';
import { ModelCatalog } from '../models/catalog.ts';
import type { ModelTrainer } from '../trainer/object.ts';

// The API Worker (wrangler.toml beside this file): the whole app, every route. The main Worker
// (../index.ts) answers /healthz and /v1/predict itself and hands this one every other request; the
// trainers and the training queue's consumers live here.

// Built once per isolate and shared by its requests: model bytes, engines, sessions. No warm-up: the
// main Worker's isolates are the ones that predict; these serve models, training and admin.
const catalog = new ModelCatalog([{ name: DEFAULT_MODEL, bytes: new Uint8Array(digitsOnnx), card: digitsCard }], MODEL_VERSIONS_KEPT);
const engines = new Engines(MODEL_VERSIONS_KEPT, coreBackend);
// The anchor holdout scores uploads (admin routes): read from the Worker's static assets on first use.
const deps = { catalog, engines, holdout: async () => (await import('../trainer/fixed-sets.ts')).fixedHoldout(env.ASSETS) };
// The whole app, built by the first request (an isolate woken for a queue batch or a trainer's alarm
// evaluates none of the routes' declarations); two first requests may both build it, alike.
let app: ReturnType<typeof import('../app.ts').createApp> | undefined;
const theApp = async () => (app ??= (await import('../app.ts')).createApp(deps));

export default {
  // The onnxruntime Worker's RPC stub, typed by the contract it implements (inference/onnxruntime-service.ts).
  fetch: async (request, env, ctx) => (await theApp()).fetch(request, { ...env, ONNXRUNTIME: env.ONNXRUNTIME as unknown as OnnxRuntimeService } satisfies Bindings, ctx),
  // The training queue and its dead letters (functions/queue/consumer.ts), loaded by the first batch.
  queue: async (batch, env) => (await import('../queue/consumer.ts')).consume(batch, { MODELS: env.MODELS, TRAINER: env.TRAINER as unknown as DurableObjectNamespace<ModelTrainer> }),
} satisfies ExportedHandler<Env>;

// The trainer of each model (a Durable Object class must be exported by the Worker's main module).
export { ModelTrainer } from '../trainer/object.ts';
