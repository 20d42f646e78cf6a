// zod/mini, not zod's chained API: the same schemas and parsing as functions, so that a bundle keeps
// only what it calls. Every predicting isolate parses manifests; with zod's full API in the Worker's
// script its start took about 30 ms more (the API document, built on first use, wraps these
// schemas in the full API: functions/models/spec.ts).
import * as z from 'zod/mini';

// zod/mini sets no language for its messages; a malformed object is reported in English.
z.config(z.locales.en());

/**
 * `models/<name>/manifest.json`: the current version and the recent versions, with the gate's
 * decisions and the promotions and rollbacks. Versions are immutable objects at
 * `models/<name>/<version>.onnx`; only the manifest changes, by compare-and-swap. So that it stays
 * small (every predicting isolate re-reads it), older entries move to immutable archive pages
 * (`models/<name>/archive/<sha256>.json`) that the manifest lists: nothing is dropped.
 */
export const VersionSchema = z.object({
  version: z.string().check(z.regex(/^v\d+$/)),
  key: z.string(),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  bytes: z.int().check(z.nonnegative()),
  parent: z.nullable(z.string()),
  /** `offline`: trained on a workstation and published; `online`: made by the trainer; `fork`: a copy of another model's version, the first of a personal model. */
  source: z.enum(['offline', 'online', 'fork']),
  createdAt: z.string(),
  metrics: z._default(z.record(z.string(), z.number()), {}),
  /** Webhook deliveries whose examples this version was trained on (online versions). */
  deliveries: z._default(z.array(z.string()), []),
  note: z.optional(z.string()),
  /** Its nearest offline ancestor (itself for an offline version): what the trainer's gate anchors to. */
  anchor: z.optional(z.nullable(z.string())),
  /** A fork's origin: the model and version it was copied from. */
  base: z.optional(z.object({ model: z.string(), version: z.string(), sha256: z.string() })),
});

/** One paired test of a gate decision (src/online GateCheck). */
export const CheckSchema = z.object({
  set: z.enum(['anchor', 'validation']),
  against: z.enum(['parent', 'offline', 'origin']),
  version: z.string(),
  scope: z.union([z.literal('all'), z.int()]),
  n: z.int(),
  b: z.int(),
  c: z.int(),
  p: z.number(),
  alpha: z.number(),
  worse: z.boolean(),
});

export const DecisionSchema = z.object({
  at: z.string(),
  candidate: z.nullable(z.string()),
  parent: z.nullable(z.string()),
  accepted: z.boolean(),
  reason: z.string(),
  holdoutAccuracy: z.number(),
  parentHoldoutAccuracy: z.number(),
  /** Decisions stored by earlier releases: the point tolerance they were judged with. */
  tolerance: z.optional(z.number()),
  /** The test, its false-rejection rate and the paired counts (the failed test first). */
  test: z.optional(z.string()),
  alpha: z.optional(z.number()),
  checks: z.optional(z.array(CheckSchema)),
  examples: z.int(),
  /** Examples held out of the deliveries for the validation share (never trained on). */
  heldOut: z.optional(z.int()),
  /** The deliveries decided: trained into the candidate, or rejected. */
  deliveries: z.array(z.string()),
  /** Rejected as a group, not for good: its deliveries were retried in halves (decided by later decisions). */
  split: z.optional(z.boolean()),
});

export const EventSchema = z.object({
  at: z.string(),
  action: z.enum(['publish', 'promote', 'rollback']),
  from: z.nullable(z.string()),
  to: z.string(),
});

/** What has moved out of the manifest into archive pages. */
export const ArchiveSchema = z.object({
  versions: z.int().check(z.nonnegative()),
  decisions: z.int().check(z.nonnegative()),
  events: z.int().check(z.nonnegative()),
  /** The highest version number archived: numbers are never reused. */
  lastNumber: z.int().check(z.nonnegative()),
  /** The archive pages' keys, oldest first. */
  pages: z.array(z.string()),
});

/**
 * Online versions deleted by retention: every online version numbered below `below`, except those
 * in `kept` (the current version and its parent when they are that old). Their objects are gone,
 * and archive pages that list them are immutable, so this is what says they are.
 */
export const RetiredSchema = z.object({
  below: z.int().check(z.nonnegative()),
  kept: z.array(z.string()),
});

export const ManifestSchema = z.object({
  name: z.string(),
  current: z.nullable(z.string()),
  versions: z.array(VersionSchema),
  decisions: z._default(z.array(DecisionSchema), []),
  events: z._default(z.array(EventSchema), []),
  archive: z._default(ArchiveSchema, () => emptyArchive()),
  retired: z._default(RetiredSchema, () => ({ below: 0, kept: [] })),
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
export type GateCheckRecord = z.infer<typeof CheckSchema>;

/** Model names: what may appear in a URL and an object key. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function emptyManifest(name: string): Manifest {
  return { name, current: null, versions: [], decisions: [], events: [], archive: emptyArchive(), retired: { below: 0, kept: [] } };
}

/** A version the gate may anchor to and retention never deletes: anything not made by the online trainer. */
export function isAnchor(v: Pick<ModelVersion, 'source'>): boolean {
  return v.source !== 'online';
}

/** Whether retention deleted this online version (its object is gone). */
export function isRetired(m: Manifest, v: Pick<ModelVersion, 'version' | 'source'>): boolean {
  return v.source === 'online' && versionNumber(v.version) < m.retired.below && !m.retired.kept.includes(v.version);
}

/** The number of `vN`. */
export function versionNumber(version: string): number {
  return Number(version.slice(1));
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
 * and the current one stay). At most about 550 KB of manifest with 10 deliveries a round (a decision
 * records its tests: about 2 KB).
 */
export const KEPT = 100;
export const ARCHIVE_BATCH = 50;
