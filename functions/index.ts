import { env } from 'cloudflare:workers';
import digitsCard from '../models/digits.json';
import digitsOnnx from '../models/digits.onnx';
import type { Bindings } from './context.ts';
import { dispatch } from './dispatch.ts';
import { forward } from './forward.ts';
import { Engines } from './inference/engines.ts';
import { coreBackend } from './inference/kernels.ts';
import type { OnnxRuntimeService } from './inference/onnxruntime-service.ts';
import { DEFAULT_MODEL, MODEL_VERSIONS_KEPT } from './limits.ts';
import { ModelCatalog } from './models/catalog.ts';
import { createPredictApp } from './predict-app.ts';
import { warmUp } from './warm-up.ts';

// The main Worker (wrangler.toml): the page is its static assets; it answers /healthz and
// /v1/predict itself and hands every other request to the API Worker (api/), which holds the rest of
// the routes, the trainers and the queue consumers. So a predicting isolate starts with none of their
// code in its script.

/** The bindings of this Worker (wrangler.toml); the generated `Env` is the API Worker's. */
interface MainEnv {
  MODELS: R2Bucket;
  ONNXRUNTIME: unknown;
  API: Fetcher;
  INFERENCE_ENGINE: string;
  MODEL_REFRESH_SECONDS: string;
}

/** What the requests see: the app's bindings, and the API Worker to hand the others to. */
type MainBindings = Bindings & { API?: Fetcher };

// Built once per isolate and shared by its requests: model bytes, engines, sessions.
const catalog = new ModelCatalog([{ name: DEFAULT_MODEL, bytes: new Uint8Array(digitsOnnx), card: digitsCard }], MODEL_VERSIONS_KEPT);
const engines = new Engines(MODEL_VERSIONS_KEPT, coreBackend);
// /healthz and /v1/predict by an app of just those; every other path by the API Worker, as it is sent.
const serve = dispatch<MainBindings, ExecutionContext>(createPredictApp({ catalog, engines }), (request, env) => forward(request, env.API));

// The default model made ready while the isolate starts, before any request (warm-up.ts).
void warmUp(catalog, engines, (env as unknown as MainEnv).INFERENCE_ENGINE);

export default {
  // The onnxruntime Worker's RPC stub, typed by the contract it implements (inference/onnxruntime-service.ts).
  fetch: (request, env, ctx) => serve(request, { ...env, ONNXRUNTIME: env.ONNXRUNTIME as OnnxRuntimeService } satisfies MainBindings, ctx),
} satisfies ExportedHandler<MainEnv>;
