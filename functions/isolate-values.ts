/**
 * How long a value being refreshed by one request is still served to the others (stale) before
 * another request tries the refresh itself: a refresh whose request was cancelled never finishes.
 */
const REFRESH_PATIENCE_MS = 10_000;

interface Entry<V> {
  value: V;
  /** When the load that produced it started (its age counts from there). */
  at: number;
  /** Order of storage, to tell whether a value arrived while a load was under way. */
  stamp: number;
}

/**
 * Values an isolate keeps for all its requests (manifests, model bytes, engines), by key, as values,
 * never as promises one request hands to another: workerd resumes a request that awaits a promise in
 * the context of the request that settled it, and that request's I/O (the answer's own body, a
 * stream) then belongs to the other one ("Cannot perform I/O on behalf of a different request").
 * So a request uses a value once it is stored, and until then loads it itself (concurrent first
 * requests may each load it; the first stored is kept, so all get the same one). A stale value is
 * served to the others while one request refreshes it. The least recently used beyond `keep` go.
 *
 * @example
 * const manifests = new IsolateValues<Manifest>();
 * const manifest = await manifests.get('digits', () => registry.read(), { maxAgeMs: 10_000 });
 */
export class IsolateValues<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly refreshing = new Map<string, number>();
  private clock = 0;

  constructor(
    private readonly keep = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored value of `key` (moved to most recently used), whatever its age. */
  peek(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry) this.touch(key, entry);
    return entry?.value;
  }

  /**
   * The value of `key`: the stored one while younger than `maxAgeMs` (or while another request
   * refreshes it), else loaded by this request. A failed load stores nothing and throws.
   */
  async get(key: string, load: () => Promise<V>, o: { maxAgeMs?: number } = {}): Promise<V> {
    const at = this.now();
    const entry = this.entries.get(key);
    if (entry) {
      const maxAge = o.maxAgeMs ?? Infinity;
      const since = this.refreshing.get(key);
      // Stale while another request refreshes it, unless the caller asks for a fresh read (0).
      if (at - entry.at < maxAge || (maxAge > 0 && since !== undefined && at - since < REFRESH_PATIENCE_MS)) {
        this.touch(key, entry);
        return entry.value;
      }
    }
    const started = ++this.clock;
    this.refreshing.set(key, at);
    try {
      const value = await load();
      const stored = this.entries.get(key);
      if (stored && stored.stamp > started) return stored.value; // another load finished meanwhile: one value for all
      this.set(key, value, at);
      return value;
    } finally {
      if (this.refreshing.get(key) === at) this.refreshing.delete(key);
    }
  }

  /** Stores a value (the newest for its key). */
  set(key: string, value: V, at = this.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at, stamp: ++this.clock });
    while (this.entries.size > this.keep) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private touch(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}
