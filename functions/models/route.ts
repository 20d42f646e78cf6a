import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { ApiApp } from '../http/openapi.ts';
import { getModel, listModels } from './spec.ts';

/**
 * GET /v1/models: every served model with its current version and metrics (from the registry's
 * manifest, or the bundled model's card and metadata). GET /v1/models/:name: one of them, with
 * its versions (sha256, parent, source, metrics, time), the holdout gate's decisions (accepted and
 * rejected candidates with their figures and reason) and the publish/promote/rollback events.
 *
 * @example
 * curl -s localhost:8787/v1/models
 * // { "models": [ { "name": "digits", "version": "bundled-3f2a9c...", "source": "bundled", "metrics": { "testAccuracy": 0.9383 }, ... } ] }
 */
export function modelsRoute(deps: AppDeps) {
  return new ApiApp<AppEnv>()
    .openapi(listModels, async (c) => {
      const source = registrySource(c.env);
      const models = await Promise.all(deps.catalog.names.map((name) => deps.catalog.details(name, source)));
      return c.json({ models: models.map(({ name, version, source, sha256, metrics }) => ({ name, version, source, sha256, metrics })) }, 200);
    })
    .openapi(getModel, async (c) => {
      const { name } = c.req.valid('param');
      if (!deps.catalog.has(name)) throw unknownModel(name);
      return c.json(await deps.catalog.details(name, registrySource(c.env)), 200);
    }, unknownModelHook);
}

/** 404 for a name no model has. */
export function unknownModel(name: string): ApiError {
  return new ApiError(404, 'unknown_model', `no model named '${name}'; GET /v1/models lists them`);
}

/** The hook of routes with a `:name`: a name that is not a model name names no model either. */
export function unknownModelHook(result: { success: boolean }, c: { req: { param(name: 'name'): string } }): undefined {
  if (!result.success) throw unknownModel(c.req.param('name'));
  return undefined;
}
