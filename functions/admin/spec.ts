import { createRoute, z } from '@hono/zod-openapi';
import { VersionSchema } from '../../src/registry/manifest.ts';
import { errors, json, SECURITY } from '../http/openapi.ts';
import { MAX_MODEL_UPLOAD_BYTES, MAX_NOTE_CHARS } from '../limits.ts';
import { ModelParams, RegistryEventSchema } from '../models/spec.ts';

/** The body of POST /v1/models/:name/promote. */
export const PromoteBody = z.strictObject({ version: z.string().regex(/^v\d+$/, 'must be a version name such as "v3"') }).openapi('Promote');

/** What promote and rollback answer: the model, its current version now, and the event recorded. */
const Changed = z.object({ name: z.string(), current: z.string(), event: RegistryEventSchema.optional() }).openapi('CurrentChanged');

const AUTH = {
  401: '`unauthorized`: no bearer token (with WWW-Authenticate)',
  403: '`forbidden`: not the admin token',
} as const;

export const promote = createRoute({
  method: 'post',
  path: '/v1/models/{name}/promote',
  tags: ['admin'],
  summary: 'Make an existing version current',
  security: SECURITY.admin,
  request: { params: ModelParams, body: { required: true, content: { 'application/json': { schema: PromoteBody } } } },
  responses: {
    200: json(Changed, 'Current'),
    ...errors({
      ...AUTH, 400: '`empty_body`, `malformed_json`', 404: '`unknown_model`, `not_found` (no such version)', 409: '`corrupt`, `conflict`, `stale`',
      413: '`payload_too_large`', 415: '`unsupported_media_type`', 422: '`invalid_body`', 503: '`admin_not_configured`, `registry_unavailable`',
    }),
  },
});

export const rollback = createRoute({
  method: 'post',
  path: '/v1/models/{name}/rollback',
  tags: ['admin'],
  summary: 'Make the current version\'s parent current',
  security: SECURITY.admin,
  request: { params: ModelParams },
  responses: {
    200: json(Changed, 'Current'),
    ...errors({ ...AUTH, 404: '`unknown_model`, `not_found`', 409: '`no_parent` (the first version), `corrupt`, `conflict`', 503: '`admin_not_configured`, `registry_unavailable`' }),
  },
});

/** The query of a model upload: a note and metrics kept with the version. */
export const PublishQuery = z.object({
  note: z.string().max(MAX_NOTE_CHARS).optional().openapi({ description: 'kept with the version', example: 'from the workstation' }),
  metrics: z.string().optional().openapi({ description: 'a JSON object of numbers, merged over those in the model\'s metadata', example: '{"testAccuracy":0.984}' }),
});

export const publish = createRoute({
  method: 'post',
  path: '/v1/models/{name}/versions',
  tags: ['admin'],
  summary: 'Publish a model trained offline',
  description:
    `The .onnx bytes (at most ${MAX_MODEL_UPLOAD_BYTES} bytes; \`application/onnx\` and \`application/x-onnx\` are taken too) become the next version, ` +
    'current at once, after proving that the model loads in onnxruntime, takes the 784 pixels of one image, answers 10 values and imports into the core ' +
    '(422 `invalid_model` naming the failed check otherwise). Predicting isolates serve it within MODEL_REFRESH_SECONDS.',
  security: SECURITY.admin,
  request: {
    params: ModelParams,
    query: PublishQuery,
    body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/onnx', description: 'an ONNX ModelProto' } } } },
  },
  responses: {
    201: json(z.object({ name: z.string(), current: z.string(), version: VersionSchema.openapi('RegistryVersion') }), 'Published and current'),
    ...errors({
      ...AUTH, 400: '`empty_body`', 404: '`unknown_model`', 409: '`conflict`, `stale`', 413: '`payload_too_large`', 415: '`unsupported_media_type`',
      422: '`invalid_note`, `invalid_metrics`, `invalid_model`', 503: '`admin_not_configured`, `registry_unavailable`',
    }),
  },
});

const DeadLetterSummary = z
  .object({
    delivery: z.string(),
    model: z.string(),
    examples: z.number().int().min(0),
    deadAt: z.string().openapi({ description: 'when the dead-letter queue handed it over (ISO 8601)' }),
    lastError: z.string().nullable().openapi({ description: 'the last error the trainer reported' }),
  })
  .openapi('DeadLetter');

export const listDeadLetters = createRoute({
  method: 'get',
  path: '/v1/admin/deadletters',
  tags: ['admin'],
  summary: 'Deliveries whose training failed every attempt',
  security: SECURITY.admin,
  request: { query: z.object({ cursor: z.string().optional().openapi({ description: 'the `cursor` of the previous page' }) }) },
  responses: {
    200: json(z.object({ deadLetters: z.array(DeadLetterSummary), cursor: z.string().nullable().openapi({ description: 'the next page\'s, or null at the end' }) }), 'One page (100 at most)'),
    ...errors({ ...AUTH, 503: '`admin_not_configured`, `registry_unavailable`' }),
  },
});

export const replayDeadLetter = createRoute({
  method: 'post',
  path: '/v1/admin/deadletters/{id}/replay',
  tags: ['admin'],
  summary: 'Queue a dead letter again (applied once, like any delivery)',
  security: SECURITY.admin,
  request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'the delivery id' }) }) },
  responses: {
    202: json(z.object({ replayed: z.string(), examples: z.number().int().min(0) }), 'Queued again'),
    ...errors({ ...AUTH, 404: '`not_found`', 503: '`admin_not_configured`, `registry_unavailable`, `training_unavailable`, `queue_unavailable`' }),
  },
});
