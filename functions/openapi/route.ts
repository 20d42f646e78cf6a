import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { AppEnv } from '../context.ts';
import { ApiApp, json, registerSecuritySchemes } from '../http/openapi.ts';
import { SERVER } from '../server.ts';

/** GET /openapi.json. */
export const openapiDocument = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['meta'],
  summary: 'This document',
  description: 'The OpenAPI 3.1 description of every route, generated from the zod schemas the routes validate with. Rendered at /api/.',
  responses: {
    200: json(
      z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
      'An OpenAPI 3.1 document',
    ),
  },
});

/**
 * GET /openapi.json: the OpenAPI 3.1 document of `app`, generated (once per isolate, on the first
 * request) from the routes declared on it, with the security schemes they name.
 *
 * @example
 * app.route('/', openapiRoute(app));
 */
export function openapiRoute<E extends Env>(app: OpenAPIHono<E>) {
  registerSecuritySchemes(app as unknown as OpenAPIHono<Env>);
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  return new ApiApp<AppEnv>().openapi(openapiDocument, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Nutshell',
        version: SERVER.version,
        description: `${SERVER.description}. Errors on /v1 are \`{ "error": { "code", "message" } }\`; on /v2 (the Open Inference Protocol) \`{ "error": "message" }\`.`,
      },
      servers: [{ url: '/' }],
    });
    return c.json(document as never, 200);
  });
}
