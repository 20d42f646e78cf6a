import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import type { ReplicaTrainerOptions } from '../../src/nn/parallel/data-parallel.ts';
import { relaxedSimdSupported, type KernelVariant } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import { Trainer, type StepTrainer } from '../../src/nn/train.ts';
import { startReplicaThreads } from './replica-threads.ts';
import { nodeWasmBackend } from './wasm-kernels.ts';

export interface TrainingOptions extends ReplicaTrainerOptions {
  /** Threads training together (data-parallel when more than 1). Default 1. */
  threads?: number;
  /** 'wasm' (default): the fast float32 backend; 'reference': the TypeScript one (1 thread). */
  backend?: 'wasm' | 'reference';
  /** Relaxed SIMD's fused multiply-add (about 1.3x faster products): on by default where it can be had. */
  relaxed?: boolean;
  /** Initialisation seed of the network. */
  seed?: number;
}

export interface Training {
  net: Network;
  /** Pass it to `fit(net, data, { trainer, ... })`, or call stepHost/drain. */
  trainer: StepTrainer;
  /** e.g. "WASM relaxed-simd, 2 threads", for logs and model cards. */
  description: string;
  /** Stops worker threads, if any. */
  close(): Promise<void>;
}

/**
 * The CPU training setup for Node scripts: the network on the fast backend and a trainer for one
 * or more threads, the same way round for every choice.
 *
 * @example
 * const { net, trainer, close } = await createTraining(parseArch('784-800-10'), {
 *   threads: 2, seed: 1, loss: 'xent', optimizer: 'momentum',
 * });
 * await fit(net, train, { trainer, loss: 'xent', optimizer: 'momentum', lr: 0.1, batchSize: 64, epochs: 10 });
 * await close();
 */
export async function createTraining(spec: NetworkSpec, opts: TrainingOptions): Promise<Training> {
  const threads = opts.threads ?? 1;
  const { threads: _t, backend: _b, relaxed: _r, seed: _s, ...trainerOptions } = opts;
  if (opts.backend === 'reference') {
    if (threads !== 1) throw new Error('the TypeScript reference backend trains on one thread');
    const net = new Network(spec, { backend: new CpuBackend('float32'), seed: opts.seed });
    return { net, trainer: new Trainer(net, trainerOptions), description: 'TypeScript reference, 1 thread', close: async () => {} };
  }
  const variant: KernelVariant = (opts.relaxed ?? true) && relaxedSimdSupported() ? 'relaxed' : 'simd';
  const description = `WASM ${variant === 'relaxed' ? 'relaxed-simd' : 'simd128'}, ${threads} thread${threads > 1 ? 's' : ''}`;
  if (threads === 1) {
    const net = new Network(spec, { backend: await nodeWasmBackend({ variant }), seed: opts.seed });
    return { net, trainer: new Trainer(net, trainerOptions), description, close: async () => {} };
  }
  const p = await startReplicaThreads(spec, { ...trainerOptions, threads, seed: opts.seed, variant });
  return { ...p, description };
}
