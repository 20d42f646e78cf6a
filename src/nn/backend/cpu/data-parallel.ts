import type { Tensor } from '../backend.ts';
import type { Param } from '../../layers/layer.ts';
import { Network, type NetworkSpec } from '../../network.ts';
import { createOptimizer, type Optimizer, type OptimizerName } from '../../optimizers/optimizer.ts';
import { Trainer, type StepTrainer, type TrainerOptions } from '../../train.ts';
import { createWasmBackend } from './create.ts';
import type { WasmBackend, WasmTensor } from './wasm-backend.ts';

/**
 * Data-parallel training over one shared WebAssembly memory: every replica (one per thread)
 * holds the same network, bound to ONE copy of the weights. A step splits the batch by rows;
 * each replica backpropagates its rows into its own gradients (scaled for the whole batch), then,
 * after a barrier, reduces one slice of every parameter across the replicas and applies the
 * optimizer to that slice. So each batch costs one gradient reduction, spread over all threads,
 * and the update equals the single-threaded one up to float32 summation order.
 *
 * Only Web-standard APIs here (Atomics over a SharedArrayBuffer); starting threads is the host's
 * business (Node: scripts/lib/parallel-trainer.ts). Atomics.wait blocks, so the coordinator runs
 * where blocking is allowed: Node's main thread or a Web Worker, not a browser's main thread.
 *
 * Differences from one thread, all of them "identical in expectation": dropout masks are drawn per
 * replica (same distribution, other units), and batch norm uses each replica's share of the batch
 * (replica 0 moves the running statistics).
 */

// Layout of the control block (Int32 slots), shared by the coordinator and the replicas.
const GEN = 0; // bumped by the coordinator to start a step
const DONE = 1; // replicas finished with the step
const BAR_COUNT = 2; // barrier between backprop and reduction
const BAR_GEN = 3;
const N = 4;
const X_PTR = 5;
const T_PTR = 6;
const STEP = 7;
const STOP = 8;
const FAILED = 9;
const LR_BYTE = 64; // a float64
const ERROR_BYTE = 128; // a failed replica's message, UTF-8, up to the end
export const CONTROL_BYTES = 1024;

export type ReplicaTrainerOptions = Omit<TrainerOptions, 'optimizer'> & { optimizer?: OptimizerName };

/** Everything a replica needs to build itself (structured-cloneable: it crosses to a thread). */
export interface ReplicaInit {
  index: number;
  replicas: number;
  spec: NetworkSpec;
  seed: number;
  /** The trainer's options, with the optimizer by name (each replica builds its own for its slice). */
  trainer: ReplicaTrainerOptions;
  /** The shared-memory build of the kernels, compiled. */
  wasm: WebAssembly.Module;
  memory: WebAssembly.Memory;
  arena: { start: number; end: number };
  control: SharedArrayBuffer;
  /** Byte offsets of the coordinator's parameters, in `net.params()` order. */
  params: number[];
  /** Byte offsets of the coordinator's state tensors (batch-norm statistics), bound by replica 0. */
  state: number[];
}

/** What a replica tells the coordinator once built. */
export interface ReplicaReport {
  grads: number[];
  lossSum: number;
  correct: number;
}

/**
 * One replica: builds the network in its arena, binds it to the shared weights, and runs steps
 * when the coordinator says so (`run` blocks until stopped).
 */
export class Replica {
  private readonly B: WasmBackend;
  private readonly net: Network;
  private readonly trainer: Trainer;
  private readonly ctrl: Int32Array;
  private readonly lr: Float64Array;
  private optimizer!: Optimizer;
  private slices: Param[] = [];
  private reductions: Array<{ own: Tensor; peers: Tensor[] }> = [];

  private constructor(
    readonly init: ReplicaInit,
    B: WasmBackend,
  ) {
    this.B = B;
    this.ctrl = new Int32Array(init.control, 0, LR_BYTE / 4);
    this.lr = new Float64Array(init.control, LR_BYTE, 1);
    this.net = new Network(init.spec, { backend: B, seed: init.seed });
    const params = this.net.params();
    if (params.length !== init.params.length) throw new Error(`replica: network has ${params.length} parameters, coordinator ${init.params.length}`);
    params.forEach(({ param }, i) => B.rebind(param.value, init.params[i]));
    if (init.index === 0) this.net.state().forEach(({ buffer }, i) => B.rebind(buffer.value, init.state[i]));
    this.trainer = new Trainer(this.net, init.trainer);
  }

  static async create(init: ReplicaInit): Promise<Replica> {
    const B = await createWasmBackend({ wasm: init.wasm, memory: init.memory, arena: init.arena });
    return new Replica(init, B);
  }

  report(): ReplicaReport {
    return {
      grads: this.net.params().map(({ param }) => (param.grad as WasmTensor).ptr),
      lossSum: (this.trainer.lossSum as WasmTensor).ptr,
      correct: (this.trainer.correct as WasmTensor).ptr,
    };
  }

  /** Takes this replica's slice of every parameter, reducing over the peers' gradients. */
  connect(peers: ReplicaReport[]): void {
    const { index, replicas } = this.init;
    const B = this.B;
    this.slices = [];
    this.reductions = [];
    this.net.params().forEach(({ param }, p) => {
      const { start, length } = sliceOf(param.value.size, index, replicas);
      if (!length) return;
      const grad = B.slice(param.grad, start, length);
      this.slices.push({ name: param.name, value: B.slice(param.value, start, length), grad, noDecay: param.noDecay });
      const others = peers.filter((_, r) => r !== index).map((peer) => B.tensorAt(peer.grads[p] + 4 * start, [length]));
      this.reductions.push({ own: grad, peers: others });
    });
    const o = this.init.trainer.optimizer ?? 'sgd';
    this.optimizer = createOptimizer(o, B, this.init.trainer.optimizerOptions);
  }

  /** Serves steps until the coordinator stops it (the generation starts at 0: no step is missed). */
  run(): void {
    const c = this.ctrl;
    let seen = 0;
    for (;;) {
      while (Atomics.load(c, GEN) === seen) Atomics.wait(c, GEN, seen);
      seen = Atomics.load(c, GEN);
      if (Atomics.load(c, STOP)) return;
      try {
        this.step();
      } catch (e) {
        // The coordinator is blocked in Atomics.wait and cannot receive a message: leave the error here.
        const text = new TextEncoder().encode(`replica ${this.init.index}: ${(e as Error).message}`);
        new Uint8Array(this.init.control, ERROR_BYTE).set(text.subarray(0, CONTROL_BYTES - ERROR_BYTE));
        Atomics.store(c, FAILED, 1);
        finish(c, this.init.replicas);
        throw e;
      }
      finish(c, this.init.replicas);
    }
  }

  private step(): void {
    const c = this.ctrl;
    const { index, replicas } = this.init;
    const n = c[N];
    const step = c[STEP];
    const { start, length: rows } = rowsOf(n, index, replicas);
    const inSize = this.net.inputSize;
    const outSize = this.net.outputSize;
    if (rows > 0) {
      const x = this.B.tensorAt(c[X_PTR] + 4 * start * inSize, [rows, ...this.net.inputShape]);
      const t = this.B.tensorAt(c[T_PTR] + 4 * start * outSize, [rows, outSize]);
      this.trainer.backprop(x, t, this.init.trainer.reduction === 'sum' ? 1 : 1 / n, step);
    } else {
      for (const { param } of this.net.params()) this.B.fill(param.grad, 0);
    }
    barrier(c, replicas);
    for (const { own, peers } of this.reductions) for (const g of peers) this.B.add(own, g, own);
    this.optimizer.update(this.slices, this.lr[0], step + 1);
  }
}

/** Everyone waits here until all `parties` replicas have arrived (a reusable, generation-counted barrier). */
function barrier(c: Int32Array, parties: number): void {
  const gen = Atomics.load(c, BAR_GEN);
  if (Atomics.add(c, BAR_COUNT, 1) === parties - 1) {
    Atomics.store(c, BAR_COUNT, 0);
    Atomics.add(c, BAR_GEN, 1);
    Atomics.notify(c, BAR_GEN);
    return;
  }
  // A short spin first: the other replica usually arrives within microseconds.
  for (let i = 0; i < 20000; i++) if (Atomics.load(c, BAR_GEN) !== gen) return;
  while (Atomics.load(c, BAR_GEN) === gen) Atomics.wait(c, BAR_GEN, gen);
}

function finish(c: Int32Array, replicas: number): void {
  if (Atomics.add(c, DONE, 1) === replicas - 1) Atomics.notify(c, DONE);
}

/** Replica r's share of n rows: contiguous, sizes differing by at most one. */
export function rowsOf(n: number, r: number, replicas: number): { start: number; length: number } {
  const start = Math.floor((n * r) / replicas);
  return { start, length: Math.floor((n * (r + 1)) / replicas) - start };
}

/** Replica r's slice of a parameter of `size` elements, cut at multiples of 16 floats (cache lines). */
export function sliceOf(size: number, r: number, replicas: number): { start: number; length: number } {
  const cut = (k: number) => (k === replicas ? size : Math.min(size, Math.floor((size * k) / replicas / 16) * 16));
  const start = cut(r);
  return { start, length: cut(r + 1) - start };
}

/**
 * The coordinating side, with the shape of `Trainer`: `step`/`stepHost` run one batch across the
 * replicas (blocking until the update is done), `drain` gathers their loss and accuracy.
 *
 * @example
 * // see scripts/lib/parallel-trainer.ts for the Node glue that starts the threads
 * const { net, trainer } = await createParallelTrainer(spec, { threads: 2, loss: 'xent', optimizer: 'momentum' });
 * trainer.stepHost(x, t, 64, 0.1);
 */
export class DataParallelTrainer implements StepTrainer {
  steps = 0;
  private seen = 0;
  private readonly ctrl: Int32Array;
  private readonly lr: Float64Array;
  private readonly sums: Array<{ loss: Tensor; correct: Tensor }>;
  private readonly targets = new Map<number, Tensor>();

  constructor(
    readonly net: Network,
    readonly control: SharedArrayBuffer,
    reports: ReplicaReport[],
  ) {
    this.ctrl = new Int32Array(control, 0, LR_BYTE / 4);
    this.lr = new Float64Array(control, LR_BYTE, 1);
    const B = net.backend as WasmBackend;
    this.sums = reports.map((r) => ({ loss: B.tensorAt(r.lossSum, [1]), correct: B.tensorAt(r.correct, [1]) }));
  }

  get replicas(): number {
    return this.sums.length;
  }

  targetTensor(n: number): Tensor {
    let t = this.targets.get(n);
    if (!t) this.targets.set(n, (t = this.net.backend.tensor([n, this.net.outputSize])));
    return t;
  }

  /** One update from a batch already in the shared memory (tensors of `net.backend`). */
  step(x: Tensor, t: Tensor, lr: number): void {
    const c = this.ctrl;
    if (Atomics.load(c, STOP)) throw new Error('the data-parallel trainer was closed');
    const n = x.shape[0];
    c[N] = n;
    c[X_PTR] = (x as WasmTensor).ptr;
    c[T_PTR] = (t as WasmTensor).ptr;
    c[STEP] = this.steps;
    this.lr[0] = lr;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    for (let d = Atomics.load(c, DONE); d < this.replicas; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    if (Atomics.load(c, FAILED)) {
      const bytes = new Uint8Array(this.control, ERROR_BYTE).slice();
      const end = bytes.indexOf(0);
      throw new Error(`data-parallel training failed: ${new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end))}`);
    }
    this.steps++;
    this.seen += n;
  }

  stepHost(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void {
    const xt = this.net.inputTensor(n);
    const tt = this.targetTensor(n);
    this.net.backend.write(xt, x);
    this.net.backend.write(tt, t);
    this.step(xt, tt, lr);
  }

  async drain(): Promise<{ loss: number; accuracy: number; examples: number }> {
    const B = this.net.backend as WasmBackend;
    let loss = 0;
    let correct = 0;
    for (const s of this.sums) {
      loss += B.readSync(s.loss)[0];
      correct += B.readSync(s.correct)[0];
      B.fill(s.loss, 0);
      B.fill(s.correct, 0);
    }
    const examples = this.seen;
    this.seen = 0;
    return { loss: examples ? loss / examples : NaN, accuracy: examples ? correct / examples : NaN, examples };
  }

  /** Lets the replicas return from `run`. */
  stop(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }
}
