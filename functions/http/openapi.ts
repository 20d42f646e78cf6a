import { OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { LinearRouter } from 'hono/router/linear-router';
import type { ClientErrorStatus, UnavailableStatus } from './errors.ts';

/**
 * The Hono app of every route module: @hono/zod-openapi's OpenAPIHono, so that each route is
 * declared once (`createRoute`: path, parameters, bodies, answers as zod schemas) and the document
 * at /openapi.json is generated from those declarations; parameters and queries are validated by
 * the declared schemas, a failure going through the route's hook into the API's own error.
 *
 * One difference, on purpose: a declared request body is documented but not read by middleware.
 * zod-openapi would read a JSON or form body whole before any size limit, and refuse a content
 * type by a grammar stricter than RFC 9110's (`application/json ;charset=utf-8`) with an answer
 * outside the API's error shape. Each handler reads its body with http/body.ts (limits first, in
 * the order its route documents) and validates it with the very schema the route declares.
 *
 * @example
 * const app = new ApiApp<AppEnv>().openapi(route, async (c) => c.json(answer, 200));
 */
export class ApiApp<E extends Env = Env> extends OpenAPIHono<E> {
  constructor() {
    // LinearRouter: nothing is compiled when the routes are added or at the first request (Hono's
    // default RegExpRouter builds one expression of every route then); a few dozen routes match
    // in microseconds by a walk.
    super({ router: new LinearRouter() });
    const openapi = this.openapi;
    this.openapi = ((route: RouteConfig & { hide?: boolean }, handler: never, hook?: never) => {
      const { middleware: _middleware, hide, ...described } = route;
      if (!hide) this.openAPIRegistry.registerPath(described);
      const { body: _readByHandler, ...request } = route.request ?? {};
      return openapi({ ...route, request, hide: true }, handler, hook);
    }) as typeof openapi;
  }
}

/** The API's error body, `{ "error": { "code", "message" } }` (errors.ts). */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'stable, snake_case: what a program branches on', example: 'invalid_pixels' }),
      message: z.string().openapi({ description: 'what is wrong and what to send instead, for a person' }),
    }),
  })
  .openapi('Error');

const STATUS_TEXT: Record<ClientErrorStatus | UnavailableStatus, string> = {
  400: 'Malformed request',
  401: 'Missing or invalid credentials',
  403: 'Wrong credentials',
  404: 'No such thing',
  405: 'Method not allowed',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Well-formed but invalid',
  429: 'Too many requests',
  503: 'Switched off, not configured, or a dependency is down',
};

/**
 * The `responses` entries of a route's refusals, each with the error body and a line saying which
 * codes it carries.
 *
 * @example
 * responses: { 200: ok, ...errors({ 400: '`malformed_json`', 413: '`payload_too_large`' }) }
 */
export function errors<const C extends Partial<Record<ClientErrorStatus | UnavailableStatus, string>>>(codes: C) {
  const out = {} as { [K in keyof C]: { description: string; content: { 'application/json': { schema: typeof ErrorSchema } }; headers?: Record<string, HeaderObject> } };
  for (const status of Object.keys(codes) as Array<keyof C & string>) {
    const key = Number(status) as ClientErrorStatus | UnavailableStatus;
    out[status] = { description: `${STATUS_TEXT[key]}: ${codes[status]}`, content: { 'application/json': { schema: ErrorSchema } }, ...(ERROR_HEADERS[key] ? { headers: ERROR_HEADERS[key] } : {}) };
  }
  return out;
}

type HeaderObject = { description: string; schema: { type: 'string' | 'integer' } };

/** The headers that come with some refusals (errors.ts sets them). */
const ERROR_HEADERS: Partial<Record<ClientErrorStatus | UnavailableStatus, Record<string, HeaderObject>>> = {
  401: { 'WWW-Authenticate': { description: 'on the admin routes: `Bearer realm="nutshell admin"` (RFC 6750)', schema: { type: 'string' } } },
  405: { Allow: { description: 'the methods the path serves', schema: { type: 'string' } } },
  409: { 'Retry-After': { description: 'seconds to wait, when the first attempt of the same signed delivery is still being queued', schema: { type: 'integer' } } },
  429: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } },
  503: { 'Retry-After': { description: 'seconds to wait, when the queue refused a delivery or a personal model has no version to serve yet', schema: { type: 'integer' } } },
};

/**
 * A schema of the registry (valibot's: src/registry/manifest.ts) as the document names it:
 * zod-to-openapi reads zod's schemas only, so the document carries valibot's own JSON Schema of it
 * (as an answer gives it: defaults filled in) under `name`, in a zod schema that validates by the
 * original.
 *
 * @example
 * const GateDecisionSchema = documented(DecisionSchema, 'GateDecision', 'the gate\'s verdict ...');
 */
export function documented<S extends v.GenericSchema>(schema: S, name: string, description: string) {
  const { $schema: _dialect, ...jsonSchema } = toJsonSchema(schema, { target: 'draft-2020-12', typeMode: 'output' });
  return z.custom<v.InferOutput<S>>((value) => v.is(schema, value)).openapi(name, { ...(jsonSchema as object), description });
}

/** A JSON answer of a route, for its `responses`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** The security schemes the document names (`security` of a route refers to them). */
export const SECURITY = {
  /** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`. */
  admin: [{ adminBearer: [] }],
  /** The training webhook: all three Standard Webhooks headers. */
  webhook: [{ webhookId: [], webhookTimestamp: [], webhookSignature: [] }],
};

/**
 * Registers the security schemes on the root app: the admin bearer, and the Standard Webhooks
 * headers (an OpenAPI security requirement lists all three, so all three are needed together).
 */
export function registerSecuritySchemes(app: OpenAPIHono<never> | OpenAPIHono<Env>): void {
  const r = app.openAPIRegistry;
  r.registerComponent('securitySchemes', 'adminBearer', {
    type: 'http', scheme: 'bearer',
    description: 'The ADMIN_TOKEN secret. Missing or not a bearer: 401 with WWW-Authenticate; wrong: 403; none configured on the server: 503.',
  });
  r.registerComponent('securitySchemes', 'webhookId', {
    type: 'apiKey', in: 'header', name: 'webhook-id',
    description: 'Standard Webhooks: the delivery id, also its idempotency key (1-128 letters, digits, ".", "_", ":" or "-"; not starting with "fb_").',
  });
  r.registerComponent('securitySchemes', 'webhookTimestamp', {
    type: 'apiKey', in: 'header', name: 'webhook-timestamp',
    description: 'Standard Webhooks: seconds since the epoch when it was signed; within 5 minutes of the server\'s clock either way.',
  });
  r.registerComponent('securitySchemes', 'webhookSignature', {
    type: 'apiKey', in: 'header', name: 'webhook-signature',
    description: 'Standard Webhooks: space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body" under the whsec_ secret>`; any one that verifies is enough (key rotation).',
  });
}
