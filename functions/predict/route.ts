import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { parseEngineMode } from '../inference/engines.ts';
import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { ApiError } from '../http/errors.ts';
import { checkTakesPixels } from '../models/model.ts';
import { requireModel } from '../models/personal.ts';
import { DEFAULT_MODEL, PIXELS } from '../limits.ts';
import { imageToPixels } from './image.ts';
import { parseInclude } from './include.ts';
import { readPredictInput } from './input.ts';

/** The answer of POST /v1/predict. */
export interface Prediction {
  digit: number;
  probabilities: number[];
  model: { name: string; version: string };
  /** Which implementation computed it: the core while onnxruntime sets up, then onnxruntime. */
  engine: 'core' | 'onnxruntime';
  /** Only with `?include=input`: the 784 pixels the model saw (see include.ts). */
  input?: number[];
}

/**
 * POST /v1/predict: one image in (JSON pixels, a PNG/JPEG body, or a multipart field `image`), the
 * digit and the 10 class probabilities out, with the model version that answered. `?model=NAME`
 * predicts with another model (a personal one; default `digits`); `?include=input` adds the 784
 * pixels the model saw (an image's preprocessed form).
 *
 * @example
 * curl -s localhost:8787/v1/predict -H 'content-type: application/json' -d '{"pixels":[0,0,...]}'
 */
export function predictRoute(deps: AppDeps): Hono<AppEnv> {
  const decode = deps.imageToPixels ?? imageToPixels;
  return new Hono<AppEnv>().post('/v1/predict', async (c) => {
    const url = new URL(c.req.url);
    const include = parseInclude(url);
    const name = modelParam(url);
    const pixels = await readPredictInput(c.req.raw, decode);
    await requireModel(deps, c.env, name);
    const model = await deps.catalog.current(name, registrySource(c.env));
    checkTakesPixels(model, PIXELS);
    const waitUntil = (work: Promise<unknown>) => executionContext(c)?.waitUntil(work);
    const engine = await deps.engines.get(model, parseEngineMode(c.env?.INFERENCE_ENGINE), waitUntil);
    const probabilities = Array.from(await engine.predict(pixels));
    const answer: Prediction = {
      digit: argmax(probabilities),
      probabilities,
      model: { name: model.name, version: model.version },
      engine: engine.kind,
    };
    if (include.has('input')) answer.input = Array.from(pixels);
    return c.json(answer);
  });
}

/** `?model=`: the model to predict with (default `digits`); 422 for a name that cannot be one. */
function modelParam(url: URL): string {
  const names = url.searchParams.getAll('model');
  if (!names.length) return DEFAULT_MODEL;
  if (names.length > 1 || !MODEL_NAME.test(names[0])) {
    throw new ApiError(422, 'invalid_model_name', `model must be one name of 1-63 lowercase letters, digits and dashes; got ${JSON.stringify(names.length > 1 ? names : names[0]).slice(0, 100)}`);
  }
  return names[0];
}

/** Index of the largest value (the first, on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Hono throws when there is no execution context (app.request in a unit test): then there is nothing to extend. */
function executionContext(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): { waitUntil(p: Promise<unknown>): void } | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
