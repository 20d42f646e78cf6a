import { z } from 'zod';

/**
 * `models/<name>/manifest.json`: the current version and every version ever published, with the
 * gate's decisions and the promotions and rollbacks. Versions are immutable objects at
 * `models/<name>/<version>.onnx`; only the manifest changes, by compare-and-swap.
 */
export const VersionSchema = z.object({
  version: z.string().regex(/^v\d+$/),
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  parent: z.string().nullable(),
  source: z.enum(['offline', 'online']),
  createdAt: z.string(),
  metrics: z.record(z.string(), z.number()).default({}),
  /** Webhook deliveries whose examples this version was trained on (online versions). */
  deliveries: z.array(z.string()).default([]),
  note: z.string().optional(),
});

export const DecisionSchema = z.object({
  at: z.string(),
  candidate: z.string().nullable(),
  parent: z.string().nullable(),
  accepted: z.boolean(),
  reason: z.string(),
  holdoutAccuracy: z.number(),
  parentHoldoutAccuracy: z.number(),
  tolerance: z.number(),
  examples: z.number().int(),
  deliveries: z.array(z.string()),
});

export const EventSchema = z.object({
  at: z.string(),
  action: z.enum(['publish', 'promote', 'rollback']),
  from: z.string().nullable(),
  to: z.string(),
});

export const ManifestSchema = z.object({
  name: z.string(),
  current: z.string().nullable(),
  versions: z.array(VersionSchema),
  decisions: z.array(DecisionSchema).default([]),
  events: z.array(EventSchema).default([]),
});

export type ModelVersion = z.infer<typeof VersionSchema>;
export type GateDecision = z.infer<typeof DecisionSchema>;
export type RegistryEvent = z.infer<typeof EventSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

/** Model names: what may appear in a URL and an object key. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function emptyManifest(name: string): Manifest {
  return { name, current: null, versions: [], decisions: [], events: [] };
}

export function manifestKey(name: string): string {
  return `models/${name}/manifest.json`;
}

export function versionKey(name: string, version: string): string {
  return `models/${name}/${version}.onnx`;
}

/** Decision and event logs are capped so the manifest stays small; versions are never dropped. */
export const LOG_LIMIT = 200;
