import type { Context, Env, Hono } from 'hono';

/** A route table entry, as Hono keeps it (`app.routes`). */
interface RouteEntry {
  method: string;
  path: string;
}

/**
 * The methods each path serves, read from an app's own route table: handlers registered for one
 * method. Entries for every method (`all`: middleware, refusals) and wildcard paths (middleware
 * such as the admin bearer check) serve nothing by themselves and are left out.
 *
 * @example
 * servedMethods(app.routes).get('/v1/predict'); // ['POST']
 */
export function servedMethods(routes: readonly RouteEntry[]): Map<string, string[]> {
  const served = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    if (method === 'ALL' || path.includes('*')) continue;
    const methods = served.get(path) ?? new Set<string>();
    methods.add(method);
    served.set(path, methods);
  }
  return new Map([...served].map(([path, methods]) => [path, [...methods].sort()]));
}

/** The Allow header of a path that serves `allowed`: HEAD comes with GET, and OPTIONS (CORS) everywhere. */
export function allowHeader(allowed: readonly string[]): string {
  return [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
}

/**
 * Answers the other methods of every path an app serves with `refuse(allowed)` (a 405 with Allow,
 * RFC 9110 15.5.6), read from the app's route table, so that a route added later is covered
 * without a list to keep. Call it after the routes are mounted. A path that already has a handler
 * for every method (a mounted app refusing in its own error shape) is left to it.
 *
 * @example
 * refuseOtherMethods(app, methodNotAllowed);
 */
export function refuseOtherMethods<E extends Env>(app: Hono<E>, refuse: (allowed: string[]) => (c: Context<E>) => Response): void {
  const answersAll = new Set(app.routes.filter((r) => r.method === 'ALL').map((r) => r.path));
  for (const [path, allowed] of servedMethods(app.routes)) {
    if (!answersAll.has(path)) app.all(path, refuse(allowed));
  }
}
