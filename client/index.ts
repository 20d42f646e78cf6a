/**
 * The Worker's API as a typed client: hono/client's `hc` over the app's route types (functions/app.ts),
 * so paths, parameters, JSON bodies and answers are checked by TypeScript, in a browser, Node or a
 * Worker. A type-only import: nothing of the Worker is bundled with it (hono/client is about 2 KB).
 *
 * @example
 * import { createClient } from '../client/index.ts';
 * const api = createClient('http://127.0.0.1:8787');
 * const res = await api.v1.predict.$post({ json: { pixels } }); // { digit, probabilities, model, engine }
 * if (res.ok) console.log((await res.json()).digit);
 */
import { hc, type ClientRequestOptions } from 'hono/client';
import type { AppType } from '../functions/app.ts';

export type { InferRequestType, InferResponseType } from 'hono/client';
export type { AppType };

/** The typed client: one property per path segment, `$get`/`$post` at the end. */
export type Client = ReturnType<typeof hc<AppType>>;

/**
 * A client of the Worker at `baseUrl` (`''` or `location.origin` on the page). `options.headers`
 * go with every request (e.g. the admin bearer), `options.fetch` replaces the global fetch.
 *
 * @example
 * const admin = createClient(url, { headers: { authorization: `Bearer ${token}` } });
 * await admin.v1.models[':name'].rollback.$post({ param: { name: 'digits' } });
 */
export function createClient(baseUrl: string, options?: ClientRequestOptions): Client {
  return hc<AppType>(baseUrl, options);
}
