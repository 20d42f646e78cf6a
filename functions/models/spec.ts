import { createRoute, z } from '@hono/zod-openapi';
import { DecisionSchema, EventSchema, MODEL_NAME } from '../../src/registry/manifest.ts';
import { errors, json } from '../http/openapi.ts';

/** A model and the version that answered. */
export const ModelRef = z.object({ name: z.string(), version: z.string().openapi({ example: 'v3' }) }).openapi('ModelRef');

/** A version as the API describes it (ModelInfo in model.ts). */
export const ModelInfoSchema = z
  .object({
    name: z.string(),
    version: z.string().openapi({ description: 'a registry version (`v1`, `v2`, ...) or the bundled one (`bundled-<12 hex of its sha256>`)' }),
    source: z.enum(['bundled', 'offline', 'online']).openapi({ description: 'the Worker\'s bundle, published from a workstation, or trained online' }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    metrics: z.record(z.string(), z.number()).openapi({ description: 'figures measured on held-out data, e.g. `testAccuracy`' }),
  })
  .openapi('ModelInfo');

export const GateDecisionSchema = DecisionSchema.openapi('GateDecision', { description: 'the holdout gate\'s verdict on a candidate trained online' });
export const RegistryEventSchema = EventSchema.openapi('RegistryEvent', { description: 'a publish, promote or rollback' });

// Objects that add to ModelInfo spell its fields out (`...shape`) rather than `extend` it: the
// document then describes each as one flat, closed object instead of an `allOf`.

/** GET /v1/models/:name (ModelDetails in catalog.ts). */
export const ModelDetailsSchema = z.object({
  ...ModelInfoSchema.shape,
  current: z.string(),
  versions: z.array(
    z.object({
      ...ModelInfoSchema.shape,
      parent: z.string().nullable(),
      createdAt: z.string().nullable(),
      note: z.string().optional(),
      deliveries: z.number().int().min(0).openapi({ description: 'webhook and feedback deliveries this version was trained on' }),
    }).openapi('VersionInfo'),
  ),
  decisions: z.array(GateDecisionSchema),
  events: z.array(RegistryEventSchema),
  archived: z
    .object({ versions: z.number().int().min(0), decisions: z.number().int().min(0), events: z.number().int().min(0) })
    .openapi({ description: 'how many older entries moved from the manifest to its archive pages in R2' }),
}).openapi('ModelDetails');

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
  description: 'Every served model with its current version and metrics (the registry\'s manifest, or the bundled model\'s card).',
  responses: {
    200: json(z.object({ models: z.array(ModelInfoSchema) }), 'The models'),
  },
});

/** GET /v1/models/:name (route.ts). */
export const getModel = createRoute({
  method: 'get',
  path: '/v1/models/{name}',
  tags: ['models'],
  summary: 'One model: versions, gate decisions, events',
  description: 'Its current version; the recent versions with lineage and metrics; the holdout gate\'s decisions; publish, promote and rollback events.',
  request: { params: ModelParams },
  responses: {
    200: json(ModelDetailsSchema, 'The model'),
    ...errors({ 404: '`unknown_model`' }),
  },
});
