import type { Context } from 'hono';
import { argmax } from '../../src/nn/metrics.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { parseEngineMode } from '../inference/engines.ts';
import { checkTakesPixels } from '../models/model.ts';
import { PIXELS } from '../limits.ts';
import { requireModel } from '../models/personal.ts';
import { imageToPixels } from './image.ts';
import { parseInclude } from './include.ts';
import { readPredictInput } from './input.ts';
import { parseModelName } from './model-query.ts';
import type { Prediction } from './spec.ts';

/**
 * POST /v1/predict: one image in (JSON pixels, a PNG/JPEG body, or a multipart field `image`), the
 * digit and the 10 class probabilities out, with the model version that answered. `?model=NAME`
 * predicts with another model (a personal one; default `digits`); `?include=input` adds the 784
 * pixels the model saw (an image's preprocessed form). Declared in spec.ts (route.ts mounts it
 * with its declaration); this module needs none of zod, so the predicting app (predict-app.ts)
 * serves it without loading the declarations.
 *
 * @example
 * curl -s localhost:8787/v1/predict -H 'content-type: application/json' -d '{"pixels":[0,0,...]}'
 */
export function predictHandler(deps: AppDeps) {
  const decode = deps.imageToPixels ?? imageToPixels;
  return async (c: Context<AppEnv, '/v1/predict'>) => {
    // In the order of PredictQuery's fields: a bad model name is named before a bad include.
    const name = parseModelName(c.req.queries('model') ?? []);
    const include = parseInclude(c.req.queries('include') ?? []);
    const pixels = await readPredictInput(c.req.raw, decode);
    await requireModel(deps, c.env, name);
    const model = await deps.catalog.current(name, registrySource(c.env));
    checkTakesPixels(model, PIXELS);
    const waitUntil = (work: Promise<unknown>) => executionContext(c)?.waitUntil(work);
    const engine = await deps.engines.get(model, parseEngineMode(c.env?.INFERENCE_ENGINE), c.env?.ONNXRUNTIME, waitUntil);
    const probabilities = Array.from(await engine.predict(pixels));
    const answer: Prediction = {
      digit: argmax(probabilities),
      probabilities,
      model: { name: model.name, version: model.version },
      engine: engine.kind,
    };
    if (include.has('input')) answer.input = Array.from(pixels);
    return c.json(answer, 200);
  };
}

/** Hono throws when there is no execution context (app.request in a unit test): then there is nothing to extend. */
export function executionContext(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): { waitUntil(p: Promise<unknown>): void } | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
