import { env } from 'cloudflare:workers';
import digitsCard from '../models/digits.json';
import digitsOnnx from '../models/digits.onnx';
import { createApp } from './app.ts';
import type { Bindings } from './context.ts';
import { Engines } from './inference/engines.ts';
import { coreBackend } from './inference/kernels.ts';
import type { OnnxRuntimeService } from './inference/onnxruntime-service.ts';
import { DEFAULT_MODEL, MODEL_VERSIONS_KEPT } from './limits.ts';
import { ModelCatalog } from './models/catalog.ts';
import { bundledHoldout, type ModelTrainer } from './trainer/object.ts';
import { consume } from './queue/consumer.ts';
import { warmUp } from './warm-up.ts';

// Built once per isolate and shared by its requests: model bytes, engines, sessions.
const catalog = new ModelCatalog([{ name: DEFAULT_MODEL, bytes: new Uint8Array(digitsOnnx), card: digitsCard }], MODEL_VERSIONS_KEPT);
const engines = new Engines(MODEL_VERSIONS_KEPT, coreBackend);
const app = createApp({ catalog, engines, holdout: bundledHoldout });

// The default model made ready while the isolate starts, before any request (warm-up.ts).
void warmUp(catalog, engines, env.INFERENCE_ENGINE);

export default {
  // The onnxruntime Worker's RPC stub, typed by the contract it implements (inference/onnxruntime-service.ts).
  fetch: (request, env, ctx) => app.fetch(request, { ...env, ONNXRUNTIME: env.ONNXRUNTIME as unknown as OnnxRuntimeService } satisfies Bindings, ctx),
  // The training queue and its dead letters (functions/queue/consumer.ts).
  queue: (batch, env) => consume(batch, { MODELS: env.MODELS, TRAINER: env.TRAINER as unknown as DurableObjectNamespace<ModelTrainer> }),
} satisfies ExportedHandler<Env>;

// The trainer of each model (a Durable Object class must be exported by the Worker's main module).
export { ModelTrainer } from './trainer/object.ts';
