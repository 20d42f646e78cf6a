import { ModelList, RegistryError } from '../../src/registry/index.ts';
import { registrySource, type AppDeps, type Bindings } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { DEFAULT_MAX_MODELS } from '../limits.ts';
import { numberVar } from '../vars.ts';
import { firstVersion } from './fork.ts';

/**
 * Makes sure the model a delivery names can be trained: it exists (bundled, or a personal model of
 * the registry's list), or the delivery names a `base` and it is created now, a fork of the base's
 * current version (listed, then its first version published, so that /v1/predict?model= serves it
 * at once). 422 `unknown_model` for an unknown model without a base or an unknown base; 409
 * `too_many_models` past MAX_MODELS.
 *
 * @example
 * await ensureModel(deps, c.env, 'writer-a', 'digits');
 */
export async function ensureModel(deps: AppDeps, env: Bindings | undefined, name: string, base: string | undefined): Promise<void> {
  const source = registrySource(env);
  if (await deps.catalog.exists(name, source)) return;
  if (!base) {
    throw new ApiError(422, 'unknown_model', `no model named '${name}' is served; GET /v1/models lists them (to create a personal model, name the model to fork it from: "base": "digits")`);
  }
  if (!(await deps.catalog.exists(base, source))) throw new ApiError(422, 'unknown_model', `no base model named '${base}' is served; GET /v1/models lists them`);
  if (!env?.MODELS) throw new ApiError(503, 'registry_unavailable', 'this deployment has no model registry (the MODELS bucket) to keep personal models in');
  const limit = numberVar(env.MAX_MODELS, 'MAX_MODELS', DEFAULT_MAX_MODELS, { min: 1 });
  try {
    await new ModelList(env.MODELS, Object.keys(deps.catalog.bundledBytes())).register(name, base, limit);
    await firstVersion(env.MODELS, name, deps.catalog.bundledBytes());
  } catch (e) {
    if (e instanceof RegistryError && e.code === 'limit') throw new ApiError(409, 'too_many_models', e.message);
    throw e;
  }
  deps.catalog.forgetList();
}

/** 422 `unknown_model` unless the model exists. */
export async function requireModel(deps: AppDeps, env: Bindings | undefined, name: string): Promise<void> {
  if (!(await deps.catalog.exists(name, registrySource(env)))) {
    throw new ApiError(422, 'unknown_model', `no model named '${name}' is served; GET /v1/models lists them`);
  }
}
