import {
  MODEL_NAME, ModelList, ModelRegistry, type GateDecision, type Manifest, type ModelEntry, type ModelVersion as RegistryEntry, type ObjectStore, type RegistryEvent,
} from '../../src/registry/index.ts';
import { ApiError } from '../http/errors.ts';
import { IsolateValues } from '../isolate-values.ts';
import { loadBundled, type BundledModel } from './bundled.ts';
import { describeServed } from './parsed.ts';
import type { BundledBytes } from './fork.ts';
import type { ModelInfo, ServedModel } from './model.ts';

/** Where the current versions come from on one request: the R2 bucket (if bound) and how fresh to keep it. */
export interface RegistrySource {
  bucket?: ObjectStore;
  /** How long a manifest read from the bucket is trusted, in milliseconds. */
  refreshMs: number;
}

/** A version as GET /v1/models/:name lists it: lineage and time besides what predict reports. */
export type VersionInfo = ModelInfo & {
  parent: string | null;
  createdAt: string | null;
  note?: string;
  /** A fork's origin: the model and version it was copied from. */
  base?: { model: string; version: string };
  /** How many webhook and feedback deliveries this version was trained on (online versions). */
  deliveries: number;
};

/** A gate decision as the public route shows it: how many deliveries it decided, not their ids (the admin route has those). */
export type PublicDecision = Omit<GateDecision, 'deliveries'> & { deliveries: number };

/**
 * A model's current version (its fields at the top level), every version the registry holds (just
 * the bundled one without it), the gate's decisions and the promote/rollback/publish events.
 * `Ids` is true for the admin route, whose decisions name their deliveries.
 */
export type ModelDetails<Ids extends boolean = false> = ModelInfo & {
  current: string;
  /** The model a personal model was forked from (null for a bundled model). */
  base: string | null;
  versions: VersionInfo[];
  decisions: Ids extends true ? GateDecision[] : PublicDecision[];
  events: RegistryEvent[];
  /** How many older versions, decisions and events moved from the manifest to its archive pages in R2. */
  archived: { versions: number; decisions: number; events: number };
  /** Online versions numbered below this were deleted by retention (except the current one and its parent). */
  retiredBelow: number;
};

/**
 * The models an isolate serves, and which version of each is current: the registry's (src/registry,
 * R2) when it has one, else the bundled model. Per isolate: a manifest is re-read at most every
 * `refreshMs`, a version's bytes are fetched and checked against their sha256 once, and concurrent
 * requests share one read. A corrupt current version gives way to its nearest intact ancestor
 * (ModelRegistry.serving); if the registry cannot be read, the last version served (or the bundled
 * one) keeps answering and the failure is logged.
 *
 * @example
 * const catalog = new ModelCatalog([{ name: 'digits', bytes }]);
 * const model = await catalog.current('digits', { bucket: env.MODELS, refreshMs: 10_000 });
 */
export class ModelCatalog {
  private readonly bundledModels = new Map<string, BundledModel>();
  // Values, never promises shared between requests (isolate-values.ts says why).
  private readonly bundled = new IsolateValues<ServedModel>();
  private readonly manifests: IsolateValues<Manifest>;
  private readonly versions: IsolateValues<ServedModel | null>;
  private readonly lastServed = new Map<string, ServedModel>();
  private readonly list: IsolateValues<ModelEntry[]>;
  private lastList: ModelEntry[] = [];

  constructor(
    bundled: BundledModel[],
    keep = 2,
    now: () => number = Date.now,
  ) {
    for (const m of bundled) this.bundledModels.set(m.name, m);
    this.manifests = new IsolateValues(Infinity, now);
    this.versions = new IsolateValues(keep, now);
    this.list = new IsolateValues(1, now);
  }

  /** Names of the bundled models: those that must load for the server to be ready. */
  get bundledNames(): string[] {
    return [...this.bundledModels.keys()];
  }

  /** Whether `name` is a bundled model. */
  has(name: string): boolean {
    return this.bundledModels.has(name);
  }

  /** The bundled models' bytes, by name (what first versions and forks start from). */
  bundledBytes(): BundledBytes {
    return Object.fromEntries([...this.bundledModels].map(([name, m]) => [name, m.bytes]));
  }

  /** Names of the models served: the bundled ones, then the personal models of the registry's list. */
  async names(source: RegistrySource): Promise<string[]> {
    return [...this.bundledModels.keys(), ...(await this.listed(source)).map((m) => m.name)];
  }

  /** Whether a model of that name is served (bundled, or in the registry's list). */
  async exists(name: string, source: RegistrySource): Promise<boolean> {
    return this.has(name) || (await this.listed(source)).some((m) => m.name === name);
  }

  /** A personal model's entry (null for a bundled model or an unknown name). */
  async entry(name: string, source: RegistrySource): Promise<ModelEntry | null> {
    return (await this.listed(source)).find((m) => m.name === name) ?? null;
  }

  /** Forgets the cached list of models (after this isolate added one). */
  forgetList(): void {
    this.list.delete(LIST);
  }

  /** The registry's list of personal models, re-read at most every `refreshMs`; the last one read if R2 fails. */
  private async listed(source: RegistrySource): Promise<ModelEntry[]> {
    if (!source.bucket) return [];
    const bucket = source.bucket;
    try {
      this.lastList = await this.list.get(LIST, async () => (await new ModelList(bucket, [...this.bundledModels.keys()]).read()).models, { maxAgeMs: source.refreshMs });
    } catch (e) {
      console.error('model registry: reading the list of models failed; using the last one read', e);
    }
    return this.lastList;
  }

  /** The current version of a model, with its bytes. */
  async current(name: string, source: RegistrySource): Promise<ServedModel> {
    let manifest: Manifest | null;
    try {
      manifest = source.bucket ? await this.manifest(name, source) : null;
    } catch (e) {
      console.error(`model registry: reading the manifest of '${name}' failed; serving the last version served`, e);
      return this.lastServed.get(name) ?? this.fallback(name);
    }
    if (!manifest?.current) return this.fallback(name);

    const key = currentKey(name, manifest);
    let model: ServedModel | null;
    try {
      model = await this.versions.get(key, () => this.serving(new ModelRegistry(source.bucket!, name), manifest));
    } catch (e) {
      // A transient failure: nothing was stored, the next request tries again.
      console.error(`model registry: loading ${key} failed; serving the last version served`, e);
      return this.lastServed.get(name) ?? this.fallback(name);
    }
    if (!model) return this.fallback(name);
    this.lastServed.set(name, model);
    return model;
  }

  /**
   * A version of any model by name, the bundled ones and those only the registry holds: the current
   * one when `version` is undefined, else the version of that name (a registry version, `v3`, or the
   * bundled one, `bundled-...`). Null when there is no such model or version. A version named
   * explicitly is served only with intact bytes (a RegistryError `corrupt` otherwise).
   *
   * @example
   * const model = await catalog.find('digits', 'v3', source); // null: no v3
   */
  async find(name: string, version: string | undefined, source: RegistrySource): Promise<ServedModel | null> {
    if (this.has(name)) {
      if (version === undefined) return this.current(name, source);
      const bundled = await this.bundledVersion(name);
      if (bundled.version === version) return bundled;
    }
    if (!source.bucket || !MODEL_NAME.test(name)) return null;
    const manifest = await this.manifest(name, source);
    const registry = new ModelRegistry(source.bucket, name);
    if (version === undefined) {
      return manifest.current ? this.cached(currentKey(name, manifest), () => this.serving(registry, manifest)) : null;
    }
    const entry = await registry.find(manifest, version);
    if (!entry) return null;
    // Its own key: the current version's entry may hold an ancestor (when the current one is corrupt);
    // with its sha256, as a wiped registry names new bytes v1 again.
    return this.cached(`exactly ${name}@${version}#${entry.sha256}`, async () => {
      const bytes = new Uint8Array(await registry.load(entry));
      return { ...registryInfo(name, entry), bytes, inputShape: describeServed(bytes).inputShape };
    });
  }

  /**
   * The names of the versions `find` serves by name (the manifest's and the bundled one; archived
   * versions are served too but not listed), or null when there is no such model.
   */
  async versionNames(name: string, source: RegistrySource): Promise<string[] | null> {
    const names: string[] = [];
    if (source.bucket && MODEL_NAME.test(name)) {
      try {
        names.push(...(await this.manifest(name, source)).versions.map((v) => v.version));
      } catch (e) {
        if (!this.has(name)) throw e;
        console.error(`model registry: reading the manifest of '${name}' failed`, e);
      }
    }
    if (this.has(name)) names.push((await this.bundledVersion(name)).version);
    return names.length ? names : null;
  }

  /**
   * What the API says about a model: its current version and the versions, without fetching bytes.
   * Decisions name their deliveries only when `ids` (the admin route); publicly they count them.
   */
  async details<Ids extends boolean = false>(name: string, source: RegistrySource, o: { ids?: Ids } = {}): Promise<ModelDetails<Ids>> {
    const base = (await this.entry(name, source))?.base ?? null;
    try {
      const manifest = source.bucket ? await this.manifest(name, source) : null;
      const current = manifest?.versions.find((v) => v.version === manifest.current);
      if (manifest && current) {
        return {
          ...registryInfo(name, current), current: current.version, base,
          versions: manifest.versions.map((v) => ({
            ...registryInfo(name, v), parent: v.parent, createdAt: v.createdAt, ...(v.note ? { note: v.note } : {}),
            ...(v.base ? { base: { model: v.base.model, version: v.base.version } } : {}), deliveries: v.deliveries.length,
          })),
          decisions: (o.ids ? manifest.decisions : manifest.decisions.map((d) => ({ ...d, deliveries: d.deliveries.length }))) as ModelDetails<Ids>['decisions'],
          events: manifest.events,
          archived: { versions: manifest.archive.versions, decisions: manifest.archive.decisions, events: manifest.archive.events },
          retiredBelow: manifest.retired.below,
        };
      }
    } catch (e) {
      console.error(`model registry: reading the manifest of '${name}' failed`, e);
    }
    const { bytes: _bytes, inputShape: _inputShape, ...info } = await this.fallback(name);
    return {
      ...info, current: info.version, base, versions: [{ ...info, parent: null, createdAt: null, deliveries: 0 }], decisions: [], events: [],
      archived: { versions: 0, decisions: 0, events: 0 }, retiredBelow: 0,
    };
  }

  /** The current version's bytes, or its nearest intact ancestor's (null when none is intact). */
  private async serving(registry: ModelRegistry, manifest: Manifest): Promise<ServedModel | null> {
    const served = await registry.serving(manifest);
    if (!served) {
      console.error(`model registry: no intact version of '${registry.name}' (current ${manifest.current}); serving the bundled model`);
      return null;
    }
    if (served.skipped.length) console.error(`model registry: '${registry.name}' skipped corrupt versions: ${served.skipped.join('; ')}`);
    const bytes = new Uint8Array(served.bytes);
    return { ...registryInfo(registry.name, served.version), bytes, inputShape: describeServed(bytes).inputShape };
  }

  /** What a model serves when its registry has nothing to serve: its bundled model; a personal model has none (503). */
  private fallback(name: string): Promise<ServedModel> {
    if (this.has(name)) return this.bundledVersion(name);
    return Promise.reject(new ApiError(503, 'model_unavailable', `model '${name}' has no version to serve yet; try again shortly`, { 'Retry-After': '5' }));
  }

  /** A bundled model's own version (what it serves while its registry has none). */
  async bundledVersion(name: string): Promise<ServedModel> {
    const model = this.bundledModels.get(name);
    if (!model) throw new Error(`no bundled model named '${name}'`);
    return this.bundled.peek(name) ?? this.bundled.get(name, () => loadBundled(model));
  }

  /** A model's manifest, re-read at most every `refreshMs` (a failed read stores nothing: the next request tries again). */
  private manifest(name: string, source: RegistrySource): Promise<Manifest> {
    const bucket = source.bucket!;
    return this.manifests.get(name, async () => (await new ModelRegistry(bucket, name).read()).manifest, { maxAgeMs: source.refreshMs });
  }

  /**
   * A version's bytes, kept among the `keep` most recently used (the others are dropped, their
   * engines with them); a failed load is tried again next time.
   */
  private cached(key: string, load: () => Promise<ServedModel | null>): Promise<ServedModel | null> {
    return this.versions.get(key, load);
  }
}

/** The key of the cached list of personal models. */
const LIST = 'list';

/**
 * Where the bytes served for a manifest's current version are kept: with its sha256, as a wiped
 * registry names other bytes v1 again.
 */
function currentKey(name: string, manifest: Manifest): string {
  return `${name}@${manifest.current}#${manifest.versions.find((v) => v.version === manifest.current)?.sha256}`;
}

function registryInfo(name: string, v: RegistryEntry): ModelInfo {
  return { name, version: v.version, source: v.source, sha256: v.sha256, metrics: v.metrics };
}
