import { getPath } from 'hono/utils/url';
import { servedMethods } from './http/methods.ts';

/** What the dispatcher needs of a Hono app: its route table and its fetch. */
interface Served<E, C> {
  routes: ReadonlyArray<{ method: string; path: string }>;
  fetch(request: Request, env?: E, ctx?: C): Response | Promise<Response>;
}

/**
 * One fetch over two apps that answer alike: the paths `hot` serves go to it; every other path to
 * `whole`, built by `build` on the first request that needs it (and then kept). So an isolate that
 * only ever predicts never evaluates the modules of the other routes: `build` loads them with a
 * dynamic import, which the bundler turns into modules evaluated on first use.
 *
 * @example
 * const fetch = dispatch(createPredictApp(deps), async () => (await import('./app.ts')).createApp(deps));
 */
export function dispatch<E, C>(hot: Served<E, C>, build: () => Promise<Served<E, C>>): (request: Request, env: E, ctx: C) => Promise<Response> {
  const hotPaths = new Set(servedMethods(hot.routes).keys());
  let whole: Served<E, C> | undefined;
  return async (request, env, ctx) => {
    // The path as Hono's router reads it, so the dispatcher and both apps agree on it; a slice of the
    // URL, not a URL parse (a URL object per request was a few percent of a prediction's CPU).
    if (hotPaths.has(getPath(request))) return hot.fetch(request, env, ctx);
    // Two first requests may both build it: the apps are alike and the later one is kept.
    whole ??= await build();
    return whole.fetch(request, env, ctx);
  };
}
