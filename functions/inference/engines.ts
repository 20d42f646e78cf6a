import type { ServedModel } from '../models/model.ts';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { createCpuBackend } from '../../src/nn/backend/cpu/create.ts';
import { createCoreEngine } from './core-engine.ts';
import type { Engine } from './engine.ts';
import { createOrtEngine, type OrtApi } from './ort-engine.ts';

/**
 * How an isolate chooses its engine (the `INFERENCE_ENGINE` var):
 * - `auto`: onnxruntime once its session is ready; until then the core answers while onnxruntime
 *   sets up in the background (a fresh isolate's first prediction costs about 0.2 s of CPU with
 *   onnxruntime, most of it ORT's own initialisation, and about 30 ms with the core);
 * - `onnxruntime`: always onnxruntime, waiting for its set-up;
 * - `core`: never start onnxruntime.
 */
export type EngineMode = 'auto' | 'onnxruntime' | 'core';
export const ENGINE_MODES: readonly EngineMode[] = ['auto', 'onnxruntime', 'core'];

export function parseEngineMode(value: string | undefined): EngineMode {
  const mode = (value ?? 'auto').trim().toLowerCase();
  if (!(ENGINE_MODES as readonly string[]).includes(mode)) {
    throw new Error(`INFERENCE_ENGINE is '${value}'; it must be one of ${ENGINE_MODES.join(', ')}`);
  }
  return mode as EngineMode;
}

/** Runs work after the answer has gone out (a Worker's ctx.waitUntil). */
export type WaitUntil = (work: Promise<unknown>) => void;

/**
 * The engines of one isolate, keyed by `name@version`: each is created once and reused, and
 * concurrent first requests share one creation. A new version gets new engines (a registry switch
 * needs no redeploy); the oldest are dropped beyond `keep` versions.
 *
 * @example
 * const engines = new Engines(() => useCompiledOrtWasm(ortWasm));
 * const engine = await engines.get(model, 'auto', (p) => ctx.waitUntil(p));
 */
export class Engines {
  private readonly core = new Map<string, Promise<Engine>>();
  private readonly ort = new Map<string, Promise<Engine>>();
  private readonly ready = new Map<string, Engine>();

  constructor(
    private readonly ortApi: () => OrtApi,
    private readonly keep = 2,
    /** The core's compute backend (the Worker passes its WASM kernels; default: the TypeScript reference). */
    private readonly coreBackend?: () => Promise<Backend>,
  ) {}

  /** A compute backend of the core: the one its engine uses (for scoring an uploaded model on the holdout). */
  backend(): Promise<Backend> {
    return this.coreBackend ? this.coreBackend() : createCpuBackend({});
  }

  /** onnxruntime, set up for this runtime (also what checks an uploaded model: src/models/check.ts). */
  onnxruntime(): OrtApi {
    return this.ortApi();
  }

  async get(model: ServedModel, mode: EngineMode, waitUntil: WaitUntil): Promise<Engine> {
    // The bytes' hash too: a version name is never reused by the registry, but a wiped bucket starts again at v1.
    const key = `${model.name}@${model.version}#${model.sha256}`;
    if (mode === 'core') return this.coreFor(key, model);
    if (mode === 'onnxruntime') return this.ortFor(key, model);
    const ready = this.ready.get(key);
    if (ready) {
      touch(this.ort, key);
      return ready;
    }
    if (!this.ort.has(key)) waitUntil(this.warmOrt(key, model));
    // A model the core cannot represent is still served, by onnxruntime.
    return this.coreFor(key, model).catch(() => this.ortFor(key, model));
  }

  /** The onnxruntime engine of a version, created now if needed (tests and `onnxruntime` mode). */
  ortFor(key: string, model: ServedModel): Promise<Engine> {
    return this.once(this.ort, key, () => this.createOrt(key, model));
  }

  coreFor(key: string, model: ServedModel): Promise<Engine> {
    return this.once(this.core, key, async () => createCoreEngine(model, await this.coreBackend?.()));
  }

  /**
   * Creates the onnxruntime session in the background, starting a macrotask later so that the
   * current answer goes out first (the set-up's ~0.3 s of CPU would otherwise delay it); then the
   * core's copy of the weights is let go. Registered at once, so concurrent requests start it once.
   * A failure is logged and remembered: the core keeps answering for that version.
   */
  private async warmOrt(key: string, model: ServedModel): Promise<void> {
    const engine = this.once(this.ort, key, async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return this.createOrt(key, model);
    });
    try {
      await engine;
      this.core.delete(key);
    } catch (e) {
      console.error(`onnxruntime could not load ${key}; the core keeps answering`, e);
    }
  }

  private async createOrt(key: string, model: ServedModel): Promise<Engine> {
    const engine = await createOrtEngine(this.ortApi(), model);
    this.ready.set(key, engine);
    return engine;
  }

  /** The engine of `key` in `map`, created if needed; the least recently used beyond `keep` are dropped. */
  private once(map: Map<string, Promise<Engine>>, key: string, create: () => Promise<Engine>): Promise<Engine> {
    let engine = touch(map, key);
    if (!engine) {
      engine = create();
      map.set(key, engine);
      while (map.size > this.keep) {
        const oldest = map.keys().next().value!;
        map.delete(oldest);
        this.ready.delete(oldest);
      }
    }
    return engine;
  }
}

/** A map's entry moved to the end (most recently used), so that eviction from the front drops the least recently used. */
function touch<V>(map: Map<string, V>, key: string): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}
