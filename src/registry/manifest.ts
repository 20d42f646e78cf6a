// valibot, not zod (which the Worker's API declarations use): every predicting isolate parses
// manifests, so these schemas are in the code each one evaluates at start, and of valibot only the
// functions they call are (of zod, its core would be, whole: 148 KB that its full API shares). The
// API document describes them by their JSON Schema (functions/http/openapi.ts `documented`).
import * as v from 'valibot';

const nonNegativeInt = () => v.pipe(v.number(), v.integer(), v.minValue(0));
const int = () => v.pipe(v.number(), v.integer());

/**
 * `models/<name>/manifest.json`: the current version and the recent versions, with the gate's
 * decisions and the promotions and rollbacks. Versions are immutable objects at
 * `models/<name>/<version>.onnx`; only the manifest changes, by compare-and-swap. So that it stays
 * small (every predicting isolate re-reads it), older entries move to immutable archive pages
 * (`models/<name>/archive/<sha256>.json`) that the manifest lists: nothing is dropped.
 */
export const VersionSchema = v.object({
  version: v.pipe(v.string(), v.regex(/^v\d+$/)),
  key: v.string(),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  bytes: nonNegativeInt(),
  parent: v.nullable(v.string()),
  /** `offline`: trained on a workstation and published; `online`: made by the trainer; `fork`: a copy of another model's version, the first of a personal model. */
  source: v.picklist(['offline', 'online', 'fork']),
  createdAt: v.string(),
  metrics: v.optional(v.record(v.string(), v.number()), () => ({})),
  /** Webhook deliveries whose examples this version was trained on (online versions). */
  deliveries: v.optional(v.array(v.string()), () => []),
  note: v.optional(v.string()),
  /** Its nearest offline ancestor (itself for an offline version): what the trainer's gate anchors to. */
  anchor: v.optional(v.nullable(v.string())),
  /** A fork's origin: the model and version it was copied from. */
  base: v.optional(v.object({ model: v.string(), version: v.string(), sha256: v.string() })),
});

/** One paired test of a gate decision (src/online GateCheck). */
export const CheckSchema = v.object({
  set: v.picklist(['anchor', 'validation']),
  against: v.picklist(['parent', 'offline', 'origin']),
  version: v.string(),
  scope: v.union([v.literal('all'), int()]),
  n: int(),
  b: int(),
  c: int(),
  p: v.number(),
  alpha: v.number(),
  worse: v.boolean(),
});

export const DecisionSchema = v.object({
  at: v.string(),
  candidate: v.nullable(v.string()),
  parent: v.nullable(v.string()),
  accepted: v.boolean(),
  reason: v.string(),
  holdoutAccuracy: v.number(),
  parentHoldoutAccuracy: v.number(),
  /** Decisions stored by earlier releases: the point tolerance they were judged with. */
  tolerance: v.optional(v.number()),
  /** The test, its false-rejection rate and the paired counts (the failed test first). */
  test: v.optional(v.string()),
  alpha: v.optional(v.number()),
  checks: v.optional(v.array(CheckSchema)),
  examples: int(),
  /** Examples held out of the deliveries for the validation share (never trained on). */
  heldOut: v.optional(int()),
  /** The deliveries decided: trained into the candidate, or rejected. */
  deliveries: v.array(v.string()),
  /** Rejected as a group, not for good: its deliveries were retried in halves (decided by later decisions). */
  split: v.optional(v.boolean()),
});

export const EventSchema = v.object({
  at: v.string(),
  action: v.picklist(['publish', 'promote', 'rollback']),
  from: v.nullable(v.string()),
  to: v.string(),
});

/** What has moved out of the manifest into archive pages. */
export const ArchiveSchema = v.object({
  versions: nonNegativeInt(),
  decisions: nonNegativeInt(),
  events: nonNegativeInt(),
  /** The highest version number archived: numbers are never reused. */
  lastNumber: nonNegativeInt(),
  /** The archive pages' keys, oldest first. */
  pages: v.array(v.string()),
});

/**
 * Online versions deleted by retention: every online version numbered below `below`, except those
 * in `kept` (the current version and its parent when they are that old). Their objects are gone,
 * and archive pages that list them are immutable, so this is what says they are.
 */
export const RetiredSchema = v.object({
  below: nonNegativeInt(),
  kept: v.array(v.string()),
});

export const ManifestSchema = v.object({
  name: v.string(),
  current: v.nullable(v.string()),
  versions: v.array(VersionSchema),
  decisions: v.optional(v.array(DecisionSchema), () => []),
  events: v.optional(v.array(EventSchema), () => []),
  archive: v.optional(ArchiveSchema, () => emptyArchive()),
  retired: v.optional(RetiredSchema, () => ({ below: 0, kept: [] })),
});

/** One archive page: entries moved out of the manifest together, never changed afterwards. */
export const ArchivePageSchema = v.object({
  name: v.string(),
  archivedAt: v.string(),
  versions: v.array(VersionSchema),
  decisions: v.array(DecisionSchema),
  events: v.array(EventSchema),
});

export type ModelVersion = v.InferOutput<typeof VersionSchema>;
export type GateDecision = v.InferOutput<typeof DecisionSchema>;
export type RegistryEvent = v.InferOutput<typeof EventSchema>;
export type Manifest = v.InferOutput<typeof ManifestSchema>;
export type ArchivePage = v.InferOutput<typeof ArchivePageSchema>;
export type GateCheckRecord = v.InferOutput<typeof CheckSchema>;

/** What is wrong with a stored object, for its refusal: the first issue and where it is (`versions.0.sha256: Invalid format: ...`). */
export function firstIssue(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const path = v.getDotPath(issues[0]);
  return path ? `${path}: ${issues[0].message}` : issues[0].message;
}

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

function emptyArchive(): v.InferOutput<typeof ArchiveSchema> {
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
