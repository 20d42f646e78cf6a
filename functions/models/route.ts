import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { registrySource } from '../context.ts';
import { ApiError } from '../http/errors.ts';

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
export function modelsRoute(deps: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/v1/models', async (c) => {
      const source = registrySource(c.env);
      // A personal model whose first version is not readable yet is left out rather than failing the list.
      const names = await deps.catalog.names(source);
      const settled = await Promise.allSettled(names.map((name) => deps.catalog.details(name, source)));
      const models = settled.flatMap((r, i) => {
        if (r.status === 'fulfilled') return [r.value];
        if (deps.catalog.has(names[i])) throw r.reason;
        return [];
      });
      return c.json({ models: models.map(({ name, version, source, sha256, metrics, base }) => ({ name, version, source, sha256, metrics, ...(base ? { base } : {}) })) });
    })
    .get('/v1/models/:name', async (c) => {
      const name = c.req.param('name');
      const source = registrySource(c.env);
      if (!(await deps.catalog.exists(name, source))) {
        throw new ApiError(404, 'unknown_model', `no model named '${name}'; GET /v1/models lists them`);
      }
      return c.json(await deps.catalog.details(name, source));
    });
}
