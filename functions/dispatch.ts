import { getPath } from 'hono/utils/url';
import { servedMethods } from './http/methods.ts';

/** What the dispatcher needs of a Hono app: its route table and its fetch. */
interface Served<E, C> {
  routes: ReadonlyArray<{ method: string; path: string }>;
  fetch(request: Request, env?: E, ctx?: C): Response | Promise<Response>;
}

/**
 * One fetch over an app of a few paths and whatever serves the rest: the paths `hot` serves go to
 * it (every method: the app answers 405 itself), every other request to `rest` as it came. The main
 * Worker's fetch (index.ts): its predicting app, and the API Worker behind its service binding.
 *
 * @example
 * const fetch = dispatch(createPredictApp(deps), (request, env) => env.API.fetch(request));
 */
export function dispatch<E, C>(hot: Served<E, C>, rest: (request: Request, env: E, ctx: C) => Promise<Response>): (request: Request, env: E, ctx: C) => Promise<Response> {
  const hotPaths = new Set(servedMethods(hot.routes).keys());
  return async (request, env, ctx) => {
    // The path as Hono's router reads it, so the dispatcher and the app agree on it; a slice of the
    // URL, not a URL parse (a URL object per request was a few percent of a prediction's CPU).
    if (hotPaths.has(getPath(request))) return hot.fetch(request, env, ctx);
    return rest(request, env, ctx);
  };
}
