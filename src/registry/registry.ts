import * as v from 'valibot';
import { sha256Hex } from '../util/sha256.ts';
import {
  ARCHIVE_BATCH, archiveKey, ArchivePageSchema, emptyManifest, firstIssue, isAnchor, isRetired, KEPT, manifestKey, ManifestSchema, MODEL_NAME, versionKey, versionNumber,
  type ArchivePage, type GateDecision, type Manifest, type ModelVersion,
} from './manifest.ts';
import type { ObjectStore } from './object-store.ts';

export type RegistryErrorCode = 'invalid_name' | 'invalid_model' | 'not_found' | 'corrupt' | 'conflict' | 'no_parent' | 'stale' | 'limit';

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RegistryOptions {
  /** Proves that bytes load as a model (an ORT session) before they may become current. */
  verify?: (bytes: Uint8Array) => Promise<void>;
  now?: () => Date;
  /** Compare-and-swap attempts before giving up under contention. */
  maxAttempts?: number;
  /** Entries of each list the manifest keeps, and how many move to an archive page at once (manifest.ts). */
  kept?: number;
  archiveBatch?: number;
}

export interface PublishInfo {
  source: ModelVersion['source'];
  /** A fork's origin (source `fork`). */
  base?: ModelVersion['base'];
  /** The version this one was derived from (default: the current version). */
  parent?: string | null;
  metrics?: Record<string, number>;
  deliveries?: string[];
  note?: string;
  /** Make it the current version at once (default true). */
  makeCurrent?: boolean;
  /** The caller ran `check` on these bytes already: `verify` is not run twice. */
  verified?: boolean;
  /** A gate decision to record in the same manifest update. */
  decision?: Omit<GateDecision, 'candidate'>;
  /**
   * Publish only if this is still the current version (null: nothing current yet) when the manifest
   * is swapped; otherwise throw RegistryError 'stale' and change nothing in the manifest. A trainer
   * that derived the new version from the current one uses it, so that a promote, rollback or
   * publish that happened meanwhile is never silently overridden.
   */
  expectCurrent?: string | null;
}

/**
 * Model versions over an object store (R2): immutable `models/<name>/<version>.onnx` objects and a
 * `manifest.json` changed only by compare-and-swap on its etag, so two writers (the online trainer,
 * `npm run publish`, an admin's promote) never lose each other's update.
 *
 * @example
 * const registry = new ModelRegistry(env.MODELS, 'digits', { verify: loadsInOrt });
 * const v = await registry.publish(bytes, { source: 'offline', metrics: { testAccuracy: 0.984 } });
 */
export class ModelRegistry {
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly kept: number;
  private readonly archiveBatch: number;

  constructor(
    private readonly store: ObjectStore,
    readonly name: string,
    private readonly opts: RegistryOptions = {},
  ) {
    if (!MODEL_NAME.test(name)) throw new RegistryError('invalid_name', `model name '${name}' must be lowercase letters, digits and dashes (1-63)`);
    this.now = opts.now ?? (() => new Date());
    this.maxAttempts = opts.maxAttempts ?? 60;
    this.kept = opts.kept ?? KEPT;
    this.archiveBatch = opts.archiveBatch ?? ARCHIVE_BATCH;
  }

  /** The manifest and its etag (an empty manifest and null when none is stored yet). */
  async read(): Promise<{ manifest: Manifest; etag: string | null }> {
    const obj = await this.store.get(manifestKey(this.name));
    if (!obj) return { manifest: emptyManifest(this.name), etag: null };
    return { manifest: parseStored(await obj.text(), ManifestSchema, `the manifest of '${this.name}'`), etag: obj.etag };
  }

  /**
   * Applies `mutate` to the latest manifest and stores it only if nobody changed it meanwhile;
   * otherwise re-reads and re-applies. `mutate` may throw to abort.
   */
  async update(mutate: (m: Manifest) => void): Promise<Manifest> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const { manifest, etag } = await this.read();
      mutate(manifest);
      await this.archiveOverflow(manifest);
      const stored = await this.store.put(manifestKey(this.name), JSON.stringify(manifest, null, 1), {
        onlyIf: etag ? { etagMatches: etag } : { etagDoesNotMatch: '*' },
        httpMetadata: { contentType: 'application/json' },
      });
      if (stored) return manifest;
      await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 5)) * Math.random());
    }
    throw new RegistryError('conflict', `could not update the manifest of '${this.name}' after ${this.maxAttempts} attempts (too much contention)`);
  }

  /**
   * Stores a new immutable version and (by default) makes it current. The bytes must load
   * (`verify`) and read back with the same sha256 before the manifest names them.
   */
  async publish(bytes: Uint8Array, info: PublishInfo): Promise<ModelVersion> {
    if (!info.verified) await this.check(bytes);
    const sha256 = await sha256Hex([bytes]);
    const { manifest } = await this.read();
    const version = await this.allocate(bytes, nextNumber(manifest));
    const stored = await this.load({ version, key: versionKey(this.name, version), sha256 });
    if (stored.length !== bytes.length) throw new RegistryError('corrupt', `version ${version} did not read back intact`);

    let entry: ModelVersion | undefined;
    await this.update((m) => {
      if (info.expectCurrent !== undefined && m.current !== info.expectCurrent) {
        // The object written above stays as an orphan; allocate() moves past its number.
        throw new RegistryError('stale', `the current version of '${this.name}' is ${m.current ?? 'none'}, not ${info.expectCurrent ?? 'none'}; ${version} was not published`);
      }
      const parent = info.parent === undefined ? m.current : info.parent;
      entry = {
        version, key: versionKey(this.name, version), sha256, bytes: bytes.length,
        parent, source: info.source, createdAt: this.now().toISOString(),
        metrics: info.metrics ?? {}, deliveries: info.deliveries ?? [], ...(info.note ? { note: info.note } : {}),
        anchor: isAnchor(info) ? version : anchorOf(m, parent), ...(info.base ? { base: info.base } : {}),
      };
      m.versions.push(entry);
      if (info.decision) m.decisions.push({ ...info.decision, candidate: version });
      if (info.makeCurrent ?? true) {
        m.events.push({ at: entry.createdAt, action: 'publish', from: m.current, to: version });
        m.current = version;
      }
    });
    return entry!;
  }

  /**
   * The first version of a personal model: a copy of another model's version (source `fork`, no
   * parent here; `base` names where it came from). Only while the model has no current version:
   * RegistryError 'stale' if another fork or publish got there first.
   *
   * @example
   * await new ModelRegistry(bucket, 'writer-a').fork({ model: 'digits', version: 'v3', sha256, bytes });
   */
  async fork(base: { model: string; version: string; sha256: string; bytes: Uint8Array; metrics?: Record<string, number> }): Promise<ModelVersion> {
    return this.publish(base.bytes, {
      source: 'fork', parent: null, expectCurrent: null, metrics: base.metrics,
      base: { model: base.model, version: base.version, sha256: base.sha256 }, note: `forked from ${base.model}@${base.version}`,
    });
  }

  /**
   * Retention, in the manifest: online versions created before `cutoff` are retired, except the
   * current version and its parent (what one rollback reaches), and stop being listed. The walk
   * goes up the version numbers and stops at the first online version younger than the cutoff,
   * so everything rollback can reach within the window stays. Offline versions and forks are never
   * retired. Returns the manifest and the versions retired now (their objects are deleted by
   * `sweep`, retention.ts, which also deletes archived ones below the mark).
   */
  async retire(cutoff: Date): Promise<{ manifest: Manifest; retired: string[] }> {
    let retired: string[] = [];
    const manifest = await this.update((m) => {
      const current = m.versions.find((v) => v.version === m.current);
      const keep = new Set([m.current, current?.parent].filter((v): v is string => !!v));
      let below = m.retired.below;
      const online = m.versions.filter((v) => !isAnchor(v)).sort((a, b) => versionNumber(a.version) - versionNumber(b.version));
      for (const v of online) {
        if (versionNumber(v.version) < below) continue;
        if (!(Date.parse(v.createdAt) < cutoff.getTime())) break;
        below = versionNumber(v.version) + 1;
      }
      const under = (v: string) => versionNumber(v) < below;
      const kept = [...keep].filter(under);
      retired = [...new Set([...online.map((v) => v.version), ...m.retired.kept])].filter((v) => under(v) && !keep.has(v));
      m.retired = { below, kept };
      m.versions = m.versions.filter((v) => !isRetired(m, v));
    });
    return { manifest, retired };
  }

  /** Records a gate decision that produced no version (a rejected candidate). */
  async recordDecision(decision: GateDecision): Promise<void> {
    await this.update((m) => {
      m.decisions.push(decision);
    });
  }

  /** Makes an existing version current (an archived one returns to the manifest), after checking its bytes and that it loads. */
  async promote(version: string): Promise<Manifest> {
    const { manifest } = await this.read();
    const v = await this.find(manifest, version);
    if (!v && /^v\d+$/.test(version) && isRetired(manifest, { version, source: 'online' })) throw retiredError(this.name, version);
    if (!v) throw new RegistryError('not_found', `model '${this.name}' has no version '${version}'`);
    if (isRetired(manifest, v)) throw retiredError(this.name, version);
    const bytes = await this.load(v);
    await this.check(bytes);
    return this.update((m) => {
      if (isRetired(m, v)) throw retiredError(this.name, version);
      this.bringBack(m, v);
      m.events.push({ at: this.now().toISOString(), action: 'promote', from: m.current, to: version });
      m.current = version;
    });
  }

  /** Makes the current version's parent current again. */
  async rollback(): Promise<Manifest> {
    const { manifest } = await this.read();
    const current = manifest.versions.find((x) => x.version === manifest.current);
    if (!current) throw new RegistryError('not_found', `model '${this.name}' has no current version to roll back from`);
    if (!current.parent) throw new RegistryError('no_parent', `version ${current.version} has no parent to roll back to`);
    const parent = await this.find(manifest, current.parent);
    if (!parent && isRetired(manifest, { version: current.parent, source: 'online' })) throw retiredError(this.name, current.parent);
    if (!parent) throw new RegistryError('not_found', `parent ${current.parent} of ${current.version} is not in the registry`);
    if (isRetired(manifest, parent)) throw retiredError(this.name, parent.version);
    await this.load(parent);
    return this.update((m) => {
      if (m.current !== current.version) throw new RegistryError('conflict', `the current version changed to ${m.current} meanwhile; nothing rolled back`);
      if (isRetired(m, parent)) throw retiredError(this.name, parent.version);
      this.bringBack(m, parent);
      m.events.push({ at: this.now().toISOString(), action: 'rollback', from: m.current, to: parent.version });
      m.current = parent.version;
    });
  }

  /** A version's bytes, checked against the sha256 the manifest recorded. */
  async load(v: Pick<ModelVersion, 'version' | 'key' | 'sha256'>): Promise<Uint8Array> {
    const obj = await this.store.get(v.key);
    if (!obj) throw new RegistryError('not_found', `the object of version ${v.version} (${v.key}) is missing`);
    const bytes = new Uint8Array(await obj.arrayBuffer());
    const sha = await sha256Hex([bytes]);
    if (sha !== v.sha256) throw new RegistryError('corrupt', `version ${v.version} is corrupt: sha256 ${sha.slice(0, 12)} instead of ${v.sha256.slice(0, 12)}`);
    return bytes;
  }

  /**
   * The version to serve: the current one if its bytes are intact, otherwise the nearest intact
   * ancestor (a corrupted object is never served). Null when nothing is published.
   */
  async serving(manifest?: Manifest): Promise<{ version: ModelVersion; bytes: Uint8Array; skipped: string[] } | null> {
    const m = manifest ?? (await this.read()).manifest;
    const skipped: string[] = [];
    const byName = new Map(m.versions.map((v) => [v.version, v]));
    for (let v = m.current ? byName.get(m.current) : undefined; v; v = v.parent ? byName.get(v.parent) : undefined) {
      if (isRetired(m, v)) continue;
      try {
        return { version: v, bytes: await this.load(v), skipped };
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        skipped.push(`${v.version}: ${e.message}`);
        if (skipped.length > 20) break;
      }
    }
    return null;
  }

  /** A version's entry: in the manifest, or else in its archive pages (newest first). */
  async find(manifest: Manifest, version: string): Promise<ModelVersion | null> {
    const listed = manifest.versions.find((x) => x.version === version);
    if (listed || !(versionNumber(version) <= manifest.archive.lastNumber)) return listed ?? null;
    for (const key of [...manifest.archive.pages].reverse()) {
      const found = (await this.page(key)).versions.find((x) => x.version === version);
      if (found) return found;
    }
    return null;
  }

  /** Everything moved out of the manifest so far, oldest page first. */
  async archived(manifest?: Manifest): Promise<ArchivePage[]> {
    const m = manifest ?? (await this.read()).manifest;
    return Promise.all(m.archive.pages.map((key) => this.page(key)));
  }

  private async page(key: string): Promise<ArchivePage> {
    const obj = await this.store.get(key);
    if (!obj) throw new RegistryError('not_found', `the archive page ${key} of '${this.name}' is missing`);
    return parseStored(await obj.text(), ArchivePageSchema, `the archive page ${key} of '${this.name}'`);
  }

  /** Lists an archived version in the manifest again (it is about to become current). */
  private bringBack(m: Manifest, v: ModelVersion): void {
    if (m.versions.some((x) => x.version === v.version)) return;
    m.versions.push(v);
    m.versions.sort((a, b) => versionNumber(a.version) - versionNumber(b.version));
  }

  /**
   * Moves the oldest entries of any list grown past kept + archiveBatch to a new archive page (offline
   * versions and the current one stay listed). The page is named by its content's sha256 and read
   * back before the manifest names it: a torn write fails the update instead of losing entries, and
   * the page of an update that loses its compare-and-swap stays behind unnamed (the retry writes its own).
   */
  private async archiveOverflow(m: Manifest): Promise<void> {
    const over = (n: number) => n > this.kept + this.archiveBatch;
    const versions = over(m.versions.length)
      ? m.versions.filter((v) => v.version !== m.current && !isAnchor(v)).slice(0, this.archiveBatch)
      : [];
    const decisions = over(m.decisions.length) ? m.decisions.slice(0, this.archiveBatch) : [];
    const events = over(m.events.length) ? m.events.slice(0, this.archiveBatch) : [];
    if (!versions.length && !decisions.length && !events.length) return;

    const page: ArchivePage = { name: this.name, archivedAt: this.now().toISOString(), versions, decisions, events };
    const text = JSON.stringify(page);
    const key = archiveKey(this.name, await sha256Hex([new TextEncoder().encode(text)]));
    await this.store.put(key, text, { httpMetadata: { contentType: 'application/json' } });
    const back = await this.store.get(key);
    if (!back || (await back.text()) !== text) throw new RegistryError('corrupt', `the archive page ${key} did not read back intact; the manifest was not changed`);

    const moved = new Set(versions.map((v) => v.version));
    m.versions = m.versions.filter((v) => !moved.has(v.version));
    m.decisions = m.decisions.slice(decisions.length);
    m.events = m.events.slice(events.length);
    m.archive.versions += versions.length;
    m.archive.decisions += decisions.length;
    m.archive.events += events.length;
    m.archive.lastNumber = versions.reduce((a, v) => Math.max(a, versionNumber(v.version)), m.archive.lastNumber);
    m.archive.pages.push(key);
  }

  /** Runs `verify`, turning its failure into RegistryError 'invalid_model'. */
  async check(bytes: Uint8Array): Promise<void> {
    if (!this.opts.verify) return;
    try {
      await this.opts.verify(bytes);
    } catch (e) {
      throw new RegistryError('invalid_model', `the model does not load: ${(e as Error).message}`);
    }
  }

  /** Writes `models/<name>/vN.onnx` create-only, moving past numbers already taken (orphans of failed publishes). */
  private async allocate(bytes: Uint8Array, first: number): Promise<string> {
    for (let n = first; n < first + this.maxAttempts; n++) {
      const version = `v${n}`;
      const put = await this.store.put(versionKey(this.name, version), bytes, {
        onlyIf: { etagDoesNotMatch: '*' },
        httpMetadata: { contentType: 'application/octet-stream' },
      });
      if (put) return version;
    }
    throw new RegistryError('conflict', `could not allocate a version number for '${this.name}'`);
  }
}

/** JSON read from the store, checked against its schema; anything else is RegistryError 'corrupt' naming `what`. */
export function parseStored<T>(text: string, schema: v.GenericSchema<unknown, T>, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryError('corrupt', `${what} is not valid JSON`);
  }
  const r = v.safeParse(schema, parsed);
  if (!r.success) throw new RegistryError('corrupt', `${what} is malformed: ${firstIssue(r.issues)}`);
  return r.output;
}

/** Numbers are never reused: past every listed, archived and retired version. */
function nextNumber(m: Manifest): number {
  return m.versions.reduce((a, v) => Math.max(a, versionNumber(v.version)), Math.max(m.archive.lastNumber, m.retired.below - 1)) + 1;
}

function retiredError(name: string, version: string): RegistryError {
  return new RegistryError('not_found', `version ${version} of '${name}' was deleted by retention (online versions no longer current are kept for a limited time)`);
}

/** The nearest offline ancestor of `parent` (itself if offline), as far as the manifest lists the lineage. */
function anchorOf(m: Manifest, parent: string | null): string | null {
  const byName = new Map(m.versions.map((v) => [v.version, v]));
  let v = parent ? byName.get(parent) : undefined;
  for (let hops = 0; v && hops <= m.versions.length; hops++) {
    if (isAnchor(v)) return v.version;
    if (v.anchor !== undefined) return v.anchor;
    v = v.parent ? byName.get(v.parent) : undefined;
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
