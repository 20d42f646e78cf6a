import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { ApiError } from '../http/errors.ts';

/**
 * The admin routes' guard: `Authorization: Bearer <ADMIN_TOKEN>`. Missing or not a bearer
 * credential: 401 with WWW-Authenticate (RFC 6750); the wrong token: 403; no token configured on
 * the server: 503 (the routes are off). The token is compared in constant time.
 *
 * @example
 * app.use('/v1/admin/*', requireAdmin());
 */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.env?.ADMIN_TOKEN;
    if (!expected) {
      console.error('admin: ADMIN_TOKEN is not set; the admin routes are off');
      throw new ApiError(503, 'admin_not_configured', 'the admin routes are not configured on this server');
    }
    const header = c.req.header('authorization');
    const match = header ? /^Bearer +([\x21-\x7e]+) *$/i.exec(header) : null;
    if (!match) {
      throw new ApiError(401, 'unauthorized', 'this route needs the admin token: send Authorization: Bearer <ADMIN_TOKEN>', {
        'WWW-Authenticate': 'Bearer realm="nutshell admin"',
      });
    }
    if (!(await constantTimeEqual(match[1], expected))) {
      throw new ApiError(403, 'forbidden', 'the bearer token is not the admin token');
    }
    await next();
  };
}

/**
 * Whether two strings are equal, in time independent of where they differ and of their lengths:
 * both are hashed (SHA-256) and the digests compared without an early exit.
 *
 * @example
 * await constantTimeEqual(given, env.ADMIN_TOKEN);
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([a, b].map(async (s) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(s)))));
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}
