import { createRoute, z } from '@hono/zod-openapi';
import { CheckSchema, VersionSchema } from '../../src/registry/manifest.ts';
import { documented, errors, json, SECURITY } from '../http/openapi.ts';
import { MAX_MODEL_UPLOAD_BYTES, MAX_NOTE_CHARS } from '../limits.ts';
import { ModelDetailsFields, ModelParams, RegistryEventSchema, GateDecisionSchema } from '../models/spec.ts';

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
      ...AUTH, 400: '`empty_body`, `incomplete_body`, `malformed_json`', 404: '`unknown_model`, `not_found` (no such version)', 409: '`corrupt`, `conflict`, `stale`',
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

/** The query of a model upload: a note and metrics kept with the version, and whether to make it current whatever its score. */
export const PublishQuery = z.object({
  note: z.string().max(MAX_NOTE_CHARS).optional().openapi({ description: 'kept with the version', example: 'from the workstation' }),
  metrics: z.string().optional().openapi({ description: 'a JSON object of numbers, merged over those in the model\'s metadata', example: '{"testAccuracy":0.984}' }),
  force: z.enum(['true', 'false', '']).optional().openapi({ description: '`true`: current even when significantly worse than the current version on the anchor holdout' }),
});

/** An upload's score against the version being served, with the online gate's test. */
const UploadGate = z
  .object({
    accepted: z.boolean().openapi({ description: 'not significantly worse than the version being served (false too when this deployment has no anchor holdout to score it on)' }),
    reason: z.string(),
    test: z.string().openapi({ description: 'the test the gate ran: exact McNemar on the answers that changed, overall and per digit' }),
    checks: z.array(documented(CheckSchema, 'GateCheck', 'one paired comparison of the gate')).openapi({ description: 'each paired comparison: its set, the version compared with, its scope (`all` or a digit), the changed answers (b worse, c better), p and alpha' }),
    holdoutAccuracy: z.number().optional().openapi({ description: 'the upload\'s accuracy on the anchor holdout (absent when nothing was scored)' }),
    currentHoldoutAccuracy: z.number().optional().openapi({ description: 'the served version\'s' }),
  })
  .openapi('UploadGate');

export const publish = createRoute({
  method: 'post',
  path: '/v1/models/{name}/versions',
  tags: ['admin'],
  summary: 'Publish a model trained offline',
  description:
    `The .onnx bytes (at most ${MAX_MODEL_UPLOAD_BYTES} bytes; \`application/onnx\` and \`application/x-onnx\` are taken too) become the next version ` +
    'after proving that the model loads in onnxruntime, takes the 784 pixels of one image, answers 10 values and imports into the core ' +
    '(422 `invalid_model` naming the failed check otherwise). It is scored on the anchor holdout against the version being served with the online ' +
    'gate\'s test: current at once unless significantly worse (then stored, not current, `promoted: false` and a `message` saying why; `?force=true` ' +
    'makes it current anyway). Predicting isolates serve a new current version within MODEL_REFRESH_SECONDS.',
  security: SECURITY.admin,
  request: {
    params: ModelParams,
    query: PublishQuery,
    body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/onnx', description: 'an ONNX ModelProto' } } } },
  },
  responses: {
    201: json(z.object({
      name: z.string(),
      current: z.string().openapi({ description: 'the current version now: the upload\'s when promoted; otherwise the one served before (a registry version, or `bundled-...`)' }),
      version: documented(VersionSchema, 'RegistryVersion', 'a version as the registry keeps it'),
      promoted: z.boolean().openapi({ description: 'whether it became current' }),
      gate: UploadGate,
      message: z.string().openapi({ description: 'in words: current (or forced), or stored and why not current' }),
    }).openapi('Published'), 'Published (current, or stored and not current: see `promoted`)'),
    ...errors({
      ...AUTH, 400: '`empty_body`, `incomplete_body`', 404: '`unknown_model`', 409: '`conflict`, `stale`', 413: '`payload_too_large`', 415: '`unsupported_media_type`',
      422: '`invalid_note`, `invalid_metrics`, `invalid_model`, `invalid_query` (force)', 503: '`admin_not_configured`, `registry_unavailable`',
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

/** One training round as the trainer logs it (functions/trainer/state.ts Round). */
const TrainerRound = z
  .object({
    at: z.string(),
    deliveries: z.array(z.string()),
    examples: z.number().int().min(0).openapi({ description: 'examples of the deliveries (holdout copies dropped)' }),
    heldOut: z.number().int().min(0).optional().openapi({ description: 'of them, held out for the validation share (never trained on)' }),
    droppedHoldout: z.number().int().min(0).openapi({ description: 'examples dropped because they are holdout images' }),
    outcome: z.enum(['accepted', 'rejected', 'split']).openapi({ description: '`split`: a group rejected together, its deliveries retried in halves' }),
    parent: z.string(),
    version: z.string().nullable(),
    reason: z.string(),
    holdoutAccuracy: z.number(),
    parentHoldoutAccuracy: z.number(),
    plan: z.string().optional().openapi({ description: 'which layers trained, and how' }),
    examplePasses: z.number().int().min(0),
    budgetFlops: z.number().optional().openapi({ description: 'TRAIN_CPU_BUDGET_MS as floating-point operations' }),
    flops: z.number().optional().openapi({ description: 'what training spent' }),
    maxExamplePasses: z.number().optional().openapi({ description: 'rounds logged by earlier releases: their budget in example passes' }),
    truncated: z.boolean().openapi({ description: 'the budget cut training short' }),
    roundMs: z.number().openapi({ description: 'wall time of the whole round' }),
  })
  .openapi('TrainerRound');

/** The trainer's state (functions/trainer/object.ts status). */
export const TrainerStatusSchema = z
  .object({
    rounds: z.array(TrainerRound).openapi({ description: 'the newest rounds, newest first' }),
    applied: z.number().int().min(0).openapi({ description: 'deliveries decided and still remembered (DELIVERY_RETENTION_DAYS)' }),
    inbox: z.object({
      groups: z.number().int().min(0).openapi({ description: 'groups waiting to be retried (halves of rejected rounds)' }),
      deliveries: z.number().int().min(0).openapi({ description: 'deliveries waiting (corrections for their batch, and those groups\')' }),
    }),
    replay: z.array(z.number().int().min(0)).openapi({ description: 'the replay buffer\'s examples per digit' }),
    validation: z.array(z.number().int().min(0)).openapi({ description: 'the validation share\'s examples per digit' }),
  })
  .openapi('TrainerStatus');

/** GET /v1/admin/models/:name: the model's details with each decision's delivery ids, and the trainer's state. */
export const AdminModelDetailsSchema = z
  .object({
    ...ModelDetailsFields,
    decisions: z.array(GateDecisionSchema),
    trainer: z
      .union([TrainerStatusSchema, z.object({ error: z.string().openapi({ description: 'why the trainer did not answer' }) })])
      .nullable()
      .openapi({ description: 'the trainer\'s state; null without a trainer binding' }),
  })
  .openapi('AdminModelDetails');

export const getAdminModel = createRoute({
  method: 'get',
  path: '/v1/admin/models/{name}',
  tags: ['admin'],
  summary: 'One model as the admin sees it: decisions with their deliveries\' ids, the trainer\'s state',
  description: 'What GET /v1/models/{name} answers, but each gate decision names the deliveries it decided (the senders\' webhook-ids and `fb_` correction ids), and the model\'s trainer adds its recent rounds, inbox, replay buffer and validation share.',
  security: SECURITY.admin,
  request: { params: ModelParams },
  responses: {
    200: json(AdminModelDetailsSchema, 'The model'),
    ...errors({ ...AUTH, 404: '`unknown_model`', 503: '`admin_not_configured`' }),
  },
});
