import { loadBundled, type BundledModel } from './bundled.ts';
import type { ModelInfo, ModelVersion } from './model.ts';
import { currentEntry, readManifest, readVersion, registryInfo, type Manifest, type ObjectReader } from './registry.ts';

/** Where the current versions come from on one request: the R2 bucket (if bound) and how fresh to keep it. */
export interface RegistrySource {
  bucket?: ObjectReader;
  /** How long a manifest read from the bucket is trusted, in milliseconds. */
  refreshMs: number;
}

interface CachedManifest {
  at: number;
  manifest: Promise<Manifest | null>;
}

/**
 * The models an isolate serves, and which version of each is current. The registry wins when it has
 * a current version; otherwise the bundled model is served. Per isolate: each manifest is re-read
 * at most every `refreshMs`, each version's bytes are fetched and verified once, and concurrent
 * requests share one read. If the registry fails, the last good version (or the bundled one) keeps
 * answering and the failure is logged.
 *
 * @example
 * const catalog = new ModelCatalog([{ name: 'digits', bytes }]);
 * const model = await catalog.current('digits', { bucket: env.MODELS, refreshMs: 10_000 });
 */
export class ModelCatalog {
  private readonly bundledModels = new Map<string, BundledModel>();
  private readonly bundled = new Map<string, Promise<ModelVersion>>();
  private readonly manifests = new Map<string, CachedManifest>();
  private readonly versions = new Map<string, Promise<ModelVersion>>();
  private readonly lastGood = new Map<string, ModelVersion>();

  constructor(
    bundled: BundledModel[],
    private readonly keep = 2,
    private readonly now: () => number = Date.now,
  ) {
    for (const m of bundled) this.bundledModels.set(m.name, m);
  }

  /** Names of the models served (the bundled ones; each may have registry versions). */
  get names(): string[] {
    return [...this.bundledModels.keys()];
  }

  has(name: string): boolean {
    return this.bundledModels.has(name);
  }

  /** The current version of a model, with its bytes. */
  async current(name: string, source: RegistrySource): Promise<ModelVersion> {
    const fallback = () => this.lastGood.get(name) ?? this.bundledVersion(name);
    let entry;
    try {
      const manifest = source.bucket ? await this.manifest(name, source) : null;
      entry = manifest && currentEntry(manifest);
    } catch (e) {
      console.error(`model registry: reading the manifest of '${name}' failed; serving the last good version`, e);
      return fallback();
    }
    if (!entry) return this.bundledVersion(name);
    const key = `${name}@${entry.version}`;
    let version = this.versions.get(key);
    if (!version) {
      version = readVersion(source.bucket!, name, entry);
      this.remember(key, version);
    }
    try {
      const model = await version;
      this.lastGood.set(name, model);
      return model;
    } catch (e) {
      this.versions.delete(key);
      console.error(`model registry: loading ${key} failed; serving the last good version`, e);
      return fallback();
    }
  }

  /** What the API says about the current version of a model, without fetching registry bytes. */
  async info(name: string, source: RegistrySource): Promise<ModelInfo & { versions: ModelInfo[] }> {
    try {
      const manifest = source.bucket ? await this.manifest(name, source) : null;
      const entry = manifest && currentEntry(manifest);
      if (manifest && entry) return { ...registryInfo(name, entry), versions: manifest.versions.map((v) => registryInfo(name, v)) };
    } catch (e) {
      console.error(`model registry: reading the manifest of '${name}' failed`, e);
    }
    const { bytes: _bytes, inputShape: _shape, ...info } = await this.bundledVersion(name);
    return { ...info, versions: [info] };
  }

  private bundledVersion(name: string): Promise<ModelVersion> {
    let v = this.bundled.get(name);
    if (!v) {
      const model = this.bundledModels.get(name);
      if (!model) return Promise.reject(new Error(`no bundled model named '${name}'`));
      v = loadBundled(model);
      this.bundled.set(name, v);
      v.catch(() => this.bundled.delete(name));
    }
    return v;
  }

  private manifest(name: string, source: RegistrySource): Promise<Manifest | null> {
    const cached = this.manifests.get(name);
    if (cached && this.now() - cached.at < source.refreshMs) return cached.manifest;
    const manifest = readManifest(source.bucket!, name);
    const entry = { at: this.now(), manifest };
    this.manifests.set(name, entry);
    // A failed read is not cached: the next request tries again.
    manifest.catch(() => {
      if (this.manifests.get(name) === entry) this.manifests.delete(name);
    });
    return manifest;
  }

  /** Keeps the newest `keep` versions' bytes; older ones are dropped (their engines go with them). */
  private remember(key: string, version: Promise<ModelVersion>): void {
    this.versions.set(key, version);
    while (this.versions.size > this.keep) this.versions.delete(this.versions.keys().next().value!);
  }
}
