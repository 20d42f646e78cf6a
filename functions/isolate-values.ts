/**
 * How long a value being loaded by one request is waited for (or, stale, served) by the others
 * before another request loads it itself: a load whose request was cancelled never finishes.
 */
const LOAD_PATIENCE_MS = 10_000;

/** How often a request waiting for another's load looks whether the value has arrived. */
const POLL_MS = 2;

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
 * So a request uses a value once it is stored. While another request loads it, a request without a
 * value waits on timers of its own (they resume it in its own context) until it is stored, and a
 * request with a stale value serves that one; only when the load fails or takes longer than
 * LOAD_PATIENCE_MS does it load the value itself. The least recently used beyond `keep` go.
 *
 * @example
 * const manifests = new IsolateValues<Manifest>();
 * const manifest = await manifests.get('digits', () => registry.read(), { maxAgeMs: 10_000 });
 */
export class IsolateValues<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** When the load under way of each key started. */
  private readonly refreshing = new Map<string, { since: number; load: number }>();
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
   * refreshes it), the one another request is loading once it arrives, else loaded by this
   * request. A failed load stores nothing and throws. `maxAgeMs: 0` always reads afresh.
   */
  async get(key: string, load: () => Promise<V>, o: { maxAgeMs?: number } = {}): Promise<V> {
    const maxAge = o.maxAgeMs ?? Infinity;
    const asked = ++this.clock;
    for (;;) {
      const at = this.now();
      const entry = this.entries.get(key);
      const since = this.refreshing.get(key)?.since;
      const loading = maxAge > 0 && since !== undefined && at - since < LOAD_PATIENCE_MS;
      // Fresh; or stale while another request refreshes it (unless the caller asks for a fresh read, 0).
      if (entry && (at - entry.at < maxAge || loading || entry.stamp > asked)) {
        this.touch(key, entry);
        return entry.value;
      }
      if (!loading) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const at = this.now();
    const started = ++this.clock;
    this.refreshing.set(key, { since: at, load: started });
    try {
      const value = await load();
      const stored = this.entries.get(key);
      if (stored && stored.stamp > started) return stored.value; // another load finished meanwhile: one value for all
      this.set(key, value, at);
      return value;
    } finally {
      if (this.refreshing.get(key)?.load === started) this.refreshing.delete(key);
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
