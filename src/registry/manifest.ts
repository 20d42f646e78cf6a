import { z } from 'zod';

/**
 * `models/<name>/manifest.json`: the current version and the recent versions, with the gate's
 * decisions and the promotions and rollbacks. Versions are immutable objects at
 * `models/<name>/<version>.onnx`; only the manifest changes, by compare-and-swap. So that it stays
 * small (every predicting isolate re-reads it), older entries move to immutable archive pages
 * (`models/<name>/archive/<sha256>.json`) that the manifest lists: nothing is dropped.
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
  /** Its nearest offline ancestor (itself for an offline version): what the trainer's gate anchors to. */
  anchor: z.string().nullable().optional(),
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

/** What has moved out of the manifest into archive pages. */
export const ArchiveSchema = z.object({
  versions: z.number().int().nonnegative(),
  decisions: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  /** The highest version number archived: numbers are never reused. */
  lastNumber: z.number().int().nonnegative(),
  /** The archive pages' keys, oldest first. */
  pages: z.array(z.string()),
});

export const ManifestSchema = z.object({
  name: z.string(),
  current: z.string().nullable(),
  versions: z.array(VersionSchema),
  decisions: z.array(DecisionSchema).default([]),
  events: z.array(EventSchema).default([]),
  archive: ArchiveSchema.default(() => emptyArchive()),
});

/** One archive page: entries moved out of the manifest together, never changed afterwards. */
export const ArchivePageSchema = z.object({
  name: z.string(),
  archivedAt: z.string(),
  versions: z.array(VersionSchema),
  decisions: z.array(DecisionSchema),
  events: z.array(EventSchema),
});

export type ModelVersion = z.infer<typeof VersionSchema>;
export type GateDecision = z.infer<typeof DecisionSchema>;
export type RegistryEvent = z.infer<typeof EventSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type ArchivePage = z.infer<typeof ArchivePageSchema>;

/** Model names: what may appear in a URL and an object key. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function emptyManifest(name: string): Manifest {
  return { name, current: null, versions: [], decisions: [], events: [], archive: emptyArchive() };
}

function emptyArchive(): z.infer<typeof ArchiveSchema> {
  return { versions: 0, decisions: 0, events: 0, lastNumber: 0, pages: [] };
}

export function manifestKey(name: string): string {
  return `models/${name}/manifest.json`;
}

export function versionKey(name: string, version: string): string {
  return `models/${name}/${version}.onnx`;
}

export function archiveKey(name: string, sha256: string): string {
  return `models/${name}/archive/${sha256}.json`;
}

/**
 * The manifest keeps this many versions, decisions and events; when one list grows past
 * KEPT + ARCHIVE_BATCH, its oldest ARCHIVE_BATCH entries move to an archive page (offline versions
 * and the current one stay). At most about 250 KB of manifest with 10 deliveries a round.
 */
export const KEPT = 100;
export const ARCHIVE_BATCH = 50;
