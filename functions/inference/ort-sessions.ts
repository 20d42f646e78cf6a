import { createOrtEngine, type OrtApi } from './ort-engine.ts';
import type { Engine } from './engine.ts';

type ReleasableEngine = Engine & { release(): Promise<void> };

/**
 * The onnxruntime sessions of one isolate of the onnxruntime Worker, by version key, the least
 * recently used dropped (and released) beyond `keep`. Concurrent loads of one key share one session creation:
 * each caller waits on a promise made in its own request, settled by the creation (workerd runs a
 * continuation in the context that made its promise), so no request resumes in another's context.
 */
export class OrtSessions {
  private readonly engines = new Map<string, Promise<ReleasableEngine>>();

  constructor(
    private readonly ort: () => OrtApi,
    private readonly keep = 4,
  ) {}

  /** The engine of `key`, if loaded or loading. */
  get(key: string): Promise<Engine> | undefined {
    const engine = this.engines.get(key);
    if (engine) {
      this.engines.delete(key);
      this.engines.set(key, engine);
      return ownPromise(engine);
    }
    return undefined;
  }

  /** Loads `bytes` as `key` unless it is loaded or loading; a failed load is forgotten. */
  load(key: string, bytes: Uint8Array, inputShape: number[]): Promise<Engine> {
    const loaded = this.get(key);
    if (loaded) return loaded;
    const engine = createOrtEngine(this.ort(), { bytes: bytes as Uint8Array<ArrayBuffer>, inputShape });
    this.engines.set(key, engine);
    engine.catch(() => {
      if (this.engines.get(key) === engine) this.engines.delete(key);
    });
    while (this.engines.size > this.keep) {
      const [oldest, evicted] = this.engines.entries().next().value!;
      this.engines.delete(oldest);
      // Its memory in onnxruntime's wasm heap is freed only by releasing it, after its runs in flight.
      evicted.then((e) => e.release(), () => {}).catch((e: unknown) => console.error(`releasing the onnxruntime session of ${oldest} failed`, e));
    }
    return ownPromise(engine);
  }
}

function ownPromise<T>(shared: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => shared.then(resolve, reject));
}
