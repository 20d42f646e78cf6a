import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { ApiError } from '../http/errors.ts';
import { DEFAULT_MODEL } from '../limits.ts';

/**
 * `?model=`: the model to predict with, default `digits`; a name that cannot be one (or several
 * names) is a 422 `invalid_model_name`. Whether it exists is the route's to say (422 `unknown_model`).
 *
 * @example
 * parseModelName(['writer-a']); // 'writer-a'
 */
export function parseModelName(values: readonly string[]): string {
  if (!values.length) return DEFAULT_MODEL;
  if (values.length > 1 || !MODEL_NAME.test(values[0])) {
    throw new ApiError(422, 'invalid_model_name', `model must be one name of 1-63 lowercase letters, digits and dashes; got ${JSON.stringify(values.length > 1 ? values : values[0]).slice(0, 100)}`);
  }
  return values[0];
}
