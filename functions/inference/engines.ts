import type { ServedModel } from '../models/model.ts';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { createCpuBackend } from '../../src/nn/backend/cpu/create.ts';
import { ApiError } from '../http/errors.ts';
import { IsolateValues } from '../isolate-values.ts';
import { createCoreEngine } from './core-engine.ts';
import type { Engine } from './engine.ts';
import type { OnnxRuntimeService } from './onnxruntime-service.ts';
import { createRemoteOrtEngine } from './remote-ort-engine.ts';

/**
 * How an isolate chooses its engine (the `INFERENCE_ENGINE` var):
 * - `core` (default): the backprop core (src/nn) on its WASM kernels, in the Worker itself;
 * - `onnxruntime`: always onnxruntime, in the onnxruntime Worker over the `ONNXRUNTIME` service
 *   binding (a version's first prediction waits for its session there);
 * - `auto`: onnxruntime once its session is ready; until then the core answers while the session
 *   is created in the background.
 */
export type EngineMode = 'auto' | 'onnxruntime' | 'core';
export const ENGINE_MODES: readonly EngineMode[] = ['core', 'onnxruntime', 'auto'];

export function parseEngineMode(value: string | undefined): EngineMode {
  const mode = (value ?? 'core').trim().toLowerCase();
  if (!(ENGINE_MODES as readonly string[]).includes(mode)) {
    throw new Error(`INFERENCE_ENGINE is '${value}'; it must be one of ${ENGINE_MODES.join(', ')}`);
  }
  return mode as EngineMode;
}

/** Runs work after the answer has gone out (a Worker's ctx.waitUntil). */
export type WaitUntil = (work: Promise<unknown>) => void;

/** onnxruntime, or a 503 when this deployment has no onnxruntime Worker bound. */
export function requireOnnxRuntime(runtime: OnnxRuntimeService | undefined): OnnxRuntimeService {
  if (!runtime) throw new ApiError(503, 'onnxruntime_unavailable', 'this deployment has no onnxruntime Worker (the ONNXRUNTIME service binding)');
  return runtime;
}

/**
 * The engines of one isolate, keyed by `name@version#sha256`: each is created once and reused, the
 * least recently used dropped beyond `keep` versions (a registry switch needs no redeploy). Kept as
 * values, never as promises shared between requests (isolate-values.ts says why).
 *
 * @example
 * const engines = new Engines(2, coreBackend);
 * const engine = await engines.get(model, 'core', env.ONNXRUNTIME, (p) => ctx.waitUntil(p));
 */
export class Engines {
  private readonly core: IsolateValues<Engine>;
  private readonly ort: IsolateValues<Engine>;
  /** Versions whose onnxruntime session was asked for in the background (`auto`). */
  private readonly warming: IsolateValues<true>;

  constructor(
    keep = 2,
    /** The core's compute backend (the Worker passes its WASM kernels; default: the TypeScript reference). */
    private readonly coreBackend?: () => Promise<Backend>,
  ) {
    this.core = new IsolateValues(keep);
    this.ort = new IsolateValues(keep);
    this.warming = new IsolateValues(keep);
  }

  /** A compute backend of the core: the one its engine uses (for scoring an uploaded model on the holdout). */
  backend(): Promise<Backend> {
    return this.coreBackend ? this.coreBackend() : createCpuBackend({});
  }

  async get(model: ServedModel, mode: EngineMode, runtime: OnnxRuntimeService | undefined, waitUntil: WaitUntil): Promise<Engine> {
    const key = engineKey(model);
    if (mode === 'core') return this.coreFor(key, model);
    if (mode === 'onnxruntime') return this.ortFor(key, model, requireOnnxRuntime(runtime));
    const ready = this.ort.peek(key);
    if (ready) return ready;
    if (runtime && !this.warming.has(key)) {
      this.warming.set(key, true);
      waitUntil(this.warmOrt(key, model, runtime));
    }
    try {
      return await this.coreFor(key, model);
    } catch (e) {
      // A model the core cannot represent is still served, by onnxruntime.
      if (!runtime) throw e;
      return this.ortFor(key, model, runtime);
    }
  }

  /** The onnxruntime engine of a version, its session created now if needed (tests and `onnxruntime` mode). */
  ortFor(key: string, model: ServedModel, runtime: OnnxRuntimeService): Promise<Engine> {
    return this.ort.get(key, () => createRemoteOrtEngine(runtime, key, model));
  }

  coreFor(key: string, model: ServedModel): Promise<Engine> | Engine {
    // Synchronously when kept: a prediction does not wait on a promise to find its engine.
    return this.core.peek(key) ?? this.core.get(key, async () => createCoreEngine(model, await this.coreBackend?.()));
  }

  /**
   * Creates the onnxruntime session in the background (`auto`); then the core's copy of the
   * weights is let go. A failure is logged: the core keeps answering for that version.
   */
  private async warmOrt(key: string, model: ServedModel, runtime: OnnxRuntimeService): Promise<void> {
    try {
      await this.ortFor(key, model, runtime);
      this.core.delete(key);
    } catch (e) {
      console.error(`onnxruntime could not load ${key}; the core keeps answering`, e);
    }
  }
}

/** An engine's key: the bytes' hash too, as a version name is never reused by the registry, but a wiped bucket starts again at v1. */
export function engineKey(model: ServedModel): string {
  return `${model.name}@${model.version}#${model.sha256}`;
}
