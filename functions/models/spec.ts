import { createRoute, z } from '@hono/zod-openapi';
import { DecisionSchema, EventSchema, MODEL_NAME } from '../../src/registry/manifest.ts';
import * as v from 'valibot';
import { documented, errors, json } from '../http/openapi.ts';

/** A model and the version that answered. */
export const ModelRef = z.object({ name: z.string(), version: z.string().openapi({ example: 'v3' }) }).openapi('ModelRef');

/** A version as the API describes it (ModelInfo in model.ts). */
export const ModelInfoSchema = z
  .object({
    name: z.string(),
    version: z.string().openapi({ description: 'a registry version (`v1`, `v2`, ...) or the bundled one (`bundled-<12 hex of its sha256>`)' }),
    source: z.enum(['bundled', 'offline', 'online', 'fork']).openapi({ description: 'the Worker\'s bundle, published from a workstation, trained online, or a personal model\'s copy of its base' }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    metrics: z.record(z.string(), z.number()).openapi({ description: 'figures measured on held-out data, e.g. `testAccuracy`' }),
  })
  .openapi('ModelInfo');

/** A gate decision as the admin sees it: with the ids of the deliveries it decided. */
export const GateDecisionSchema = documented(DecisionSchema, 'GateDecision', 'the gate\'s verdict on a candidate trained online, with its tests and the deliveries it decided');
/** A gate decision as the public routes show it: how many deliveries it decided (their ids are the senders'). */
export const PublicDecisionSchema = documented(
  v.object({
    ...v.omit(DecisionSchema, ['deliveries']).entries,
    deliveries: v.pipe(v.number(), v.integer(), v.minValue(0), v.description('how many deliveries it decided (the admin route names them)')),
  }),
  'PublicGateDecision',
  'the gate\'s verdict on a candidate trained online: test, alpha, the paired counts of each comparison, the reason',
);
export const RegistryEventSchema = documented(EventSchema, 'RegistryEvent', 'a publish, promote or rollback');

// Objects that add to ModelInfo spell its fields out (`...shape`) rather than `extend` it: the
// document then describes each as one flat, closed object instead of an `allOf`.

/** The fields of a model's details that the public and the admin route share. */
export const ModelDetailsFields = {
  ...ModelInfoSchema.shape,
  current: z.string(),
  base: z.string().nullable().openapi({ description: 'the model a personal model was forked from (null for a bundled one)' }),
  versions: z.array(
    z.object({
      ...ModelInfoSchema.shape,
      parent: z.string().nullable(),
      createdAt: z.string().nullable(),
      note: z.string().optional(),
      base: z.object({ model: z.string(), version: z.string() }).optional().openapi({ description: 'a fork\'s origin: the model and version it was copied from' }),
      deliveries: z.number().int().min(0).openapi({ description: 'how many webhook and feedback deliveries this version was trained on' }),
    }).openapi('VersionInfo'),
  ),
  events: z.array(RegistryEventSchema),
  archived: z
    .object({ versions: z.number().int().min(0), decisions: z.number().int().min(0), events: z.number().int().min(0) })
    .openapi({ description: 'how many older entries moved from the manifest to its archive pages in R2' }),
  retiredBelow: z.number().int().min(0).openapi({ description: 'online versions numbered below this were deleted by retention (except the current one and its parent)' }),
};

/** GET /v1/models/:name (ModelDetails in catalog.ts): decisions count their deliveries. */
export const ModelDetailsSchema = z.object({ ...ModelDetailsFields, decisions: z.array(PublicDecisionSchema) }).openapi('ModelDetails');

/** The `:name` of a model route: any served model's name. */
export const ModelParams = z.object({
  name: z.string().regex(MODEL_NAME).openapi({ param: { name: 'name', in: 'path' }, example: 'digits', description: 'a served model (GET /v1/models lists them)' }),
});

/** GET /v1/models (route.ts). */
export const listModels = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['models'],
  summary: 'The served models',
  description: 'Every served model with its current version and metrics (the registry\'s manifest, or the bundled model\'s card): the bundled models, then personal ones.',
  responses: {
    200: json(z.object({ models: z.array(z.object({ ...ModelInfoSchema.shape, base: z.string().optional().openapi({ description: 'a personal model\'s base' }) })) }), 'The models'),
  },
});

/** GET /v1/models/:name (route.ts). */
export const getModel = createRoute({
  method: 'get',
  path: '/v1/models/{name}',
  tags: ['models'],
  summary: 'One model: versions, gate decisions, events',
  description: 'Its current version; the recent versions with lineage and metrics; the gate\'s decisions (how many deliveries each decided; GET /v1/admin/models/{name} names them); publish, promote and rollback events.',
  request: { params: ModelParams },
  responses: {
    200: json(ModelDetailsSchema, 'The model'),
    ...errors({ 404: '`unknown_model`' }),
  },
});
