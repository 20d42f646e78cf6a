import * as z from 'zod/mini';
import '../http/zod.ts';
import { describeOnnx, sha256Hex, type ModelInfo, type ModelVersion } from './model.ts';

/**
 * The read side of the model registry in R2 (DESIGN.md): `models/<name>/manifest.json` names the
 * current version; `models/<name>/<version>.onnx` holds each version, immutable. Only the fields
 * read here are checked; the writer (src/registry) may record more (parent, source, time, gate).
 */
export const ManifestEntry = z.looseObject({
  version: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a version is 1-128 letters, digits, ".", "_" or "-"')),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits')),
  metrics: z.optional(z.record(z.string(), z.number())),
});
export const Manifest = z.looseObject({
  current: z.optional(z.nullable(z.string())),
  versions: z.array(ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/**
 * The part of R2's API the read path uses: an R2Bucket has it, and so can any other object store
 * (src/registry's local store, a test's).
 */
export interface ObjectReader {
  get(key: string): Promise<{ text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

export const manifestKey = (name: string) => `models/${name}/manifest.json`;
export const versionKey = (name: string, version: string) => `models/${name}/${version}.onnx`;

/**
 * The manifest of a model, or null when the registry holds none. A manifest that does not parse
 * is an error (the registry is ours: it must not silently turn into "no registry").
 *
 * @example
 * const manifest = await readManifest(env.MODELS, 'digits');
 */
export async function readManifest(bucket: ObjectReader, name: string): Promise<Manifest | null> {
  const object = await bucket.get(manifestKey(name));
  if (!object) return null;
  const parsed = Manifest.safeParse(JSON.parse(await object.text()));
  if (!parsed.success) throw new Error(`${manifestKey(name)} is not a valid manifest: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The manifest's current entry, or null when it names none. */
export function currentEntry(manifest: Manifest): ManifestEntry | null {
  if (!manifest.current) return null;
  const entry = manifest.versions.find((v) => v.version === manifest.current);
  if (!entry) throw new Error(`the manifest's current version '${manifest.current}' is not among its versions`);
  return entry;
}

/** What the API says about a registry version, from its manifest entry alone. */
export function registryInfo(name: string, entry: ManifestEntry): ModelInfo {
  return { name, version: entry.version, source: 'registry', sha256: entry.sha256, metrics: entry.metrics ?? {} };
}

/**
 * Fetches a version's bytes and checks them against the manifest's sha256 before anything runs them.
 *
 * @example
 * const model = await readVersion(env.MODELS, 'digits', currentEntry(manifest)!);
 */
export async function readVersion(bucket: ObjectReader, name: string, entry: ManifestEntry): Promise<ModelVersion> {
  const key = versionKey(name, entry.version);
  const object = await bucket.get(key);
  if (!object) throw new Error(`${key} is named by the manifest but missing from the bucket`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== entry.sha256) throw new Error(`${key} has sha256 ${sha256}, the manifest says ${entry.sha256}`);
  return { ...registryInfo(name, entry), bytes, inputShape: describeOnnx(bytes).inputShape };
}
