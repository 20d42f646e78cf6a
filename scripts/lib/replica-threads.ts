import { Worker } from 'node:worker_threads';
import { createWasmBackend } from '../../src/nn/backend/cpu/create.ts';
import { CONTROL_BYTES, ReplicaCoordinator, Replica, type ReplicaInit, type ReplicaReport, type ReplicaTrainerOptions } from '../../src/nn/parallel/data-parallel.ts';
import type { KernelVariant } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { Network, type NetworkSpec } from '../../src/nn/network.ts';
import { pickVariant, readKernels } from './wasm-kernels.ts';

export interface ReplicaThreadsOptions extends ReplicaTrainerOptions {
  /** Threads training together, this one included (2 on this project's machines: one per core). */
  threads: number;
  /** Initialisation seed of the network (the same as `new Network(spec, { seed })`). */
  seed?: number;
  /** Kernel build; default: relaxed SIMD where the runtime has it. */
  variant?: KernelVariant;
  /** Bytes each replica may allocate (its gradients, activations, optimizer slice, conv scratch). */
  arenaBytes?: number;
}

export interface ReplicaThreads {
  /** The network, on a WASM backend over the shared memory: evaluate it, export it, read its weights. */
  net: Network;
  /** Same shape as `Trainer`: pass it to `fit({ trainer })` or call `stepHost`/`drain` yourself. */
  trainer: ReplicaCoordinator;
  /** Stops the threads. */
  close(): Promise<void>;
}

/**
 * Data-parallel training on Node worker threads: one replica per thread over one shared
 * WebAssembly memory, one gradient reduction per batch (src/nn/parallel/data-parallel.ts).
 *
 * @example
 * const { net, trainer, close } = await startReplicaThreads(parseArch('784-800-10'), {
 *   threads: 2, seed: 1, loss: 'xent', optimizer: 'momentum',
 * });
 * await fit(net, train, { trainer, loss: 'xent', lr: 0.1, batchSize: 64, epochs: 1 });
 * await close();
 */
export async function startReplicaThreads(spec: NetworkSpec, opts: ReplicaThreadsOptions): Promise<ReplicaThreads> {
  const threads = opts.threads;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  const wasm = await WebAssembly.compile(readKernels(opts.variant ?? pickVariant(), true));
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
  const backend = await createWasmBackend({ wasm, memory, zeroed: true });
  const seed = opts.seed ?? 0;
  const net = new Network(spec, { backend, seed });
  const paramBytes = net.params().reduce((s, { param }) => s + 4 * param.value.size, 0);
  // Generous: pages of the shared memory cost nothing until a replica touches them.
  const arenaBytes = opts.arenaBytes ?? 4 * paramBytes + (512 << 20);
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const { threads: _t, seed: _s, variant: _v, arenaBytes: _a, ...trainerOptions } = opts;

  const workers: Worker[] = [];
  const close = async () => {
    trainer?.stop();
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    })));
  };
  let trainer: ReplicaCoordinator | undefined;
  try {
    const local = new Replica(net, 0, threads, control, trainerOptions);
    const remote = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => {
      const start = backend.heap.alloc(arenaBytes);
      const init: ReplicaInit = {
        index: i + 1, replicas: threads, spec: net.spec(), seed, trainer: trainerOptions, wasm, memory,
        arena: { start, end: start + arenaBytes }, control,
        params: net.params().map(({ param }) => backend.pointer(param.value)),
      };
      const worker = new Worker(new URL('./replica-worker.mjs', import.meta.url), { workerData: init, execArgv: [] });
      workers.push(worker);
      return reply<{ report: ReplicaReport }>(worker).then((m) => m.report);
    }));
    const reports = [local.report(), ...remote];
    await Promise.all(workers.map((w) => {
      const ack = reply<{ connected: boolean }>(w);
      w.postMessage({ peers: reports });
      return ack;
    }));
    for (const w of workers) w.unref(); // a forgotten close() must not keep the process alive
    trainer = new ReplicaCoordinator(net, local, reports);
    return { net, trainer, close };
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}

/** The next message of a worker, or its error. */
function reply<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: T) => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(new Error(`replica thread failed to start: ${e.message}`));
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}
