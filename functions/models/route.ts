import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { ApiApp } from '../http/openapi.ts';
import { getModel, listModels } from './spec.ts';

/**
 * GET /v1/models: every served model (the bundled ones, then personal models) with its current
 * version and metrics (from the registry's manifest, or the bundled model's card and metadata).
 * GET /v1/models/:name: one of them, with its versions (sha256, parent, source, metrics, time,
 * how many deliveries each was trained on), the gate's decisions (accepted, rejected and split
 * candidates with their tests, figures and reasons, and how many deliveries each decided: the
 * deliveries' ids are the senders' and are shown only to the admin, GET /v1/admin/models/:name)
 * and the publish/promote/rollback events.
 *
 * @example
 * curl -s localhost:8787/v1/models
 * // { "models": [ { "name": "digits", "version": "bundled-3f2a9c...", "source": "bundled", "metrics": { "testAccuracy": 0.9383 }, ... } ] }
 */
export function modelsRoute(deps: AppDeps) {
  return new ApiApp<AppEnv>()
    .openapi(listModels, async (c) => {
      const source = registrySource(c.env);
      // A personal model whose first version is not readable yet is left out rather than failing the list.
      const names = await deps.catalog.names(source);
      const settled = await Promise.allSettled(names.map((name) => deps.catalog.details(name, source)));
      const models = settled.flatMap((r, i) => {
        if (r.status === 'fulfilled') return [r.value];
        if (deps.catalog.has(names[i])) throw r.reason;
        return [];
      });
      return c.json({ models: models.map(({ name, version, source, sha256, metrics, base }) => ({ name, version, source, sha256, metrics, ...(base ? { base } : {}) })) }, 200);
    })
    .openapi(getModel, async (c) => {
      const { name } = c.req.valid('param');
      const source = registrySource(c.env);
      if (!(await deps.catalog.exists(name, source))) throw unknownModel(name);
      return c.json(await deps.catalog.details(name, source), 200);
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
