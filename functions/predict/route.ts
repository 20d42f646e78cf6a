import type { AppDeps, AppEnv } from '../context.ts';
import { ApiApp } from '../http/openapi.ts';
import { predictHandler } from './handler.ts';
import { predict, type Prediction } from './spec.ts';

/**
 * POST /v1/predict with its declaration (spec.ts), for the whole app and its document: the
 * handler (handler.ts) is the one the predicting app serves.
 *
 * @example
 * const app = new ApiApp<AppEnv>().route('/', predictRoute(deps));
 */
export function predictRoute(deps: AppDeps) {
  return new ApiApp<AppEnv>().openapi(predict, predictHandler(deps));
}

export type { Prediction };
