import type { Tensor } from '../backend/backend.ts';
import { BatchTensors } from '../backend/batch-tensors.ts';
import { Dense } from '../layers/dense.ts';
import type { Param } from '../layers/layer.ts';
import { Network, type NetworkSpec } from '../network.ts';
import { createOptimizer, type Optimizer, type OptimizerName } from '../optimizers/optimizer.ts';
import { Trainer, type StepTrainer, type TrainerOptions } from '../train.ts';
import { createWasmBackend } from '../backend/cpu/create.ts';
import type { WasmBackend, WasmTensor } from '../backend/cpu/wasm-backend.ts';

/**
 * Data-parallel training over one shared WebAssembly memory: every replica (one per thread)
 * holds the same network, bound to ONE copy of the weights. A step splits the batch by rows:
 * each replica runs the forward pass and backpropagates dE/dx through its rows. Then, after one
 * barrier, each replica owns a slice of every parameter and finishes it:
 * - a dense layer's weights are sliced by output units: the owner computes its rows of dE/dW
 *   over the WHOLE batch (every replica's rows of the layer's input and of dE/dy, a product with
 *   K = batch), a chunk at a time, and updates each chunk while it is still in cache. No replica
 *   writes a full-size dE/dW and nothing is reduced;
 * - every other parameter (biases, convolution kernels, batch-norm scales) is backpropagated by
 *   each replica over its rows, as one thread would, and the owner of a slice sums the
 *   replicas' gradients over it, then updates it.
 * A first dense layer (its input is the batch, which every replica sees) runs its forward product
 * by units too: each replica multiplies the whole batch by the rows of W it owns, and after a
 * barrier gathers its rows of the product from every replica's part. So no replica reads weights
 * another has just updated: between cores that share no cache, that read is slow enough to undo
 * much of what the second thread gains.
 * So a step costs one barrier (two with a first dense layer), and the update equals the
 * single-threaded one up to float32 summation order.
 *
 * The coordinating thread is replica 0 (it trains on the first rows itself); the others run in
 * threads the host starts (Node: scripts/lib/replica-threads.ts). Only Web-standard APIs here:
 * Atomics over SharedArrayBuffers. Atomics.wait blocks, so the coordinator runs where blocking
 * is allowed: Node's main thread or a Web Worker, not a browser's main thread.
 *
 * Differences from one thread, all "identical in expectation": dropout masks are drawn per replica
 * (same distribution, other units), and batch norm normalises over each replica's share of the
 * batch (replica 0's statistics move the running estimates).
 */

// Layout of the control block (Int32 slots), shared by all replicas.
const GEN = 0; // bumped by the coordinator to start a step
const DONE = 1; // worker replicas finished with the step
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

/**
 * Polls before a thread sleeps, where its partner is known to be on its way: at the step's
 * barrier and at its end (every replica has the same share of work and started at the same
 * moment: the last one is typically tens of microseconds behind), and a worker waiting for the
 * next step while the caller gathers and writes the next batch (about 0.1 ms in `fit`). 4,000
 * polls with a pause each last 150-200 us (measured on a 2-core AMD EPYC, Node 24), more than those gaps, so
 * in a training loop no thread sleeps and no wake-up is paid. That matters beyond the wake's own
 * cost (a futex round trip took 6 us there): a woken thread is often placed on its waker's core,
 * and on a machine with other work the two replicas then share one core for a scheduling slice
 * (about 1 ms a step, measured). After the polls a thread sleeps on the futex: a trainer that
 * gets no step costs at most 200 us of one core, then nothing.
 */
const SPINS = 4000;
/** About 256 KiB of dE/dW per chunk: a chunk is updated while it is still in the core's L2. */
const CHUNK_FLOATS = 65_536;

export type ReplicaTrainerOptions = Omit<TrainerOptions, 'optimizer'> & { optimizer?: OptimizerName };

/** Everything a worker replica needs to build itself (structured-cloneable: it crosses to a thread). */
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
}

/** What a replica tells the others once built: where its gradients, running sums and step table live. */
export interface ReplicaReport {
  grads: number[];
  lossSum: number;
  correct: number;
  /** Int32 pairs, one per dense layer: where this step's input and dE/dy of the layer lie. */
  table: number;
}

/** A dense layer whose dE/dW the replicas compute in slices over the whole batch. */
interface SplitLayer {
  layer: Dense;
  units: number;
  inputs: number;
  /** This replica's chunks of output units, each with its slice of the weight as a parameter. */
  chunks: Array<{ unit: number; units: number; param: Param; mask: Tensor | null }>;
}

/**
 * A first dense layer, whose input (the batch) every replica sees: its product x W^T is computed
 * by units over the whole batch, each replica from the units it owns, so that no replica reads the
 * weights another one has just updated (for the article's network, 1.25 MB a step crossing
 * between cores).
 */
interface FirstLayer {
  layer: Dense;
  /** The rows of W of this replica's units (null if it has none). */
  weight: Tensor | null;
  /** This replica's product, [n, its units] for a batch of n. */
  product: BatchTensors;
}

/** One replica's share of the work: backprop on its rows, then reduce and update its slice. */
export class Replica {
  readonly trainer: Trainer;
  private readonly ctrl: Int32Array;
  private readonly lr: Float64Array;
  private optimizer!: Optimizer;
  private slices: Param[] = [];
  private reductions: Array<{ own: Tensor; peers: Tensor[] }> = [];
  private readonly split: SplitLayer[];
  private first: FirstLayer | null = null;
  private readonly table: Tensor;
  private tables: number[] = [];

  constructor(
    readonly net: Network,
    readonly index: number,
    readonly replicas: number,
    readonly control: SharedArrayBuffer,
    private readonly opts: ReplicaTrainerOptions,
  ) {
    this.ctrl = new Int32Array(control, 0, LR_BYTE / 4);
    this.lr = new Float64Array(control, LR_BYTE, 1);
    this.trainer = new Trainer(net, opts);
    const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
    this.split = dense.map((layer) => ({ layer, units: layer.units, inputs: layer.inputShape[0], chunks: [] }));
    // Two slots (input, dE/dy) per dense layer, then where this replica's part of the first layer's product lies.
    this.table = this.B.tensor([2 * dense.length + 1]);
  }

  /** A worker's replica: the network built in its own arena, its parameters bound to the coordinator's. */
  static async create(init: ReplicaInit): Promise<Replica> {
    // The arena is a block of the coordinator's fresh memory that nobody has written yet.
    const B = await createWasmBackend({ wasm: init.wasm, memory: init.memory, arena: init.arena, zeroed: true });
    const net = new Network(init.spec, { backend: B, seed: init.seed });
    const params = net.params();
    if (params.length !== init.params.length) throw new Error(`replica: network has ${params.length} parameters, coordinator ${init.params.length}`);
    params.forEach(({ param }, i) => B.rebind(param.value, init.params[i]));
    return new Replica(net, init.index, init.replicas, init.control, init.trainer);
  }

  private get B(): WasmBackend {
    return this.net.backend as WasmBackend;
  }

  report(): ReplicaReport {
    return {
      grads: this.net.params().map(({ param }) => (param.grad as WasmTensor).ptr),
      lossSum: (this.trainer.lossSum as WasmTensor).ptr,
      correct: (this.trainer.correct as WasmTensor).ptr,
      table: (this.table as WasmTensor).ptr,
    };
  }

  /**
   * Takes this replica's slice of every parameter: its chunks of output units of each dense
   * layer's weight, and a slice of every other parameter, reduced over the peers' gradients.
   */
  connect(peers: ReplicaReport[]): void {
    const B = this.B;
    this.slices = [];
    this.reductions = [];
    this.tables = peers.map((p) => p.table);
    const weights = new Set<Tensor>();
    for (const s of this.split) {
      const { layer, inputs } = s;
      weights.add(layer.weight.value);
      const { start, length } = unitsOf(s.units, this.index, this.replicas);
      const per = Math.max(4, Math.floor(CHUNK_FLOATS / inputs / 4) * 4);
      s.chunks = [];
      for (let u = start; u < start + length; u += per) {
        const m = Math.min(per, start + length - u);
        const param = {
          name: layer.weight.name, noDecay: layer.weight.noDecay,
          value: B.slice(layer.weight.value, u * inputs, m * inputs), grad: B.slice(layer.weight.grad, u * inputs, m * inputs),
        };
        s.chunks.push({ unit: u, units: m, param, mask: layer.mask ? B.slice(layer.mask, u * inputs, m * inputs) : null });
      }
    }
    this.net.params().forEach(({ param }, p) => {
      if (weights.has(param.value)) return;
      const { start, length } = sliceOf(param.value.size, this.index, this.replicas);
      if (!length) return;
      const grad = B.slice(param.grad, start, length);
      this.slices.push({ name: param.name, value: B.slice(param.value, start, length), grad, noDecay: param.noDecay });
      const others = peers.filter((_, r) => r !== this.index).map((peer) => B.tensorAt(peer.grads[p] + 4 * start, [length]));
      this.reductions.push({ own: grad, peers: others });
    });
    this.optimizer = createOptimizer(this.opts.optimizer ?? 'sgd', B, this.opts.optimizerOptions);
    const layer = this.net.layers[0];
    if (layer instanceof Dense) {
      const inputs = layer.inputShape[0];
      const { start, length } = unitsOf(layer.units, this.index, this.replicas);
      const weight = length ? B.tensorAt(B.pointer(layer.weight.value) + 4 * start * inputs, [length, inputs]) : null;
      this.first = { layer, weight, product: new BatchTensors(B, [length]) };
    } else this.first = null;
  }

  /** A worker's loop: serves steps until the coordinator stops it (generations start at 0: none is missed). */
  run(): void {
    const c = this.ctrl;
    let seen = 0;
    for (;;) {
      waitWhile(c, GEN, seen);
      seen = Atomics.load(c, GEN);
      if (Atomics.load(c, STOP)) return;
      try {
        this.step();
      } catch (e) {
        // The coordinator is blocked in Atomics.wait and cannot take a message: leave the error here.
        const text = new TextEncoder().encode(`replica ${this.index}: ${(e as Error).message}`);
        new Uint8Array(this.control, ERROR_BYTE).set(text.subarray(0, CONTROL_BYTES - ERROR_BYTE));
        Atomics.store(c, FAILED, 1);
        this.finish();
        throw e;
      }
      this.finish();
    }
  }

  /** This replica's part of the step described in the control block. */
  step(): void {
    const B = this.B;
    const c = this.ctrl;
    const n = c[N];
    const step = c[STEP];
    const lr = this.lr[0];
    const { start, length: rows } = rowsOf(n, this.index, this.replicas);
    const inSize = this.net.inputSize;
    const outSize = this.net.outputSize;
    const slots = 2 * this.split.length + 1;
    // Every replica's table, each read after the barrier that follows its writing; this one's is ours to write.
    const tables = this.tables.map((ptr) => new Int32Array(B.memory.buffer, ptr, slots));
    const table = tables[this.index];
    const first = this.first;
    if (first) {
      // This replica's units of the first layer over the whole batch; the others' after the barrier.
      const z = first.product.get(n);
      if (first.weight) B.matmul(B.tensorAt(c[X_PTR], [n, inSize]), first.weight, z, false, true, false);
      table[slots - 1] = B.pointer(z);
      this.barrier();
      first.layer.product = (y) => this.gatherFirst(y, tables.map((t) => t[slots - 1]), start, rows);
    }
    if (rows > 0) {
      const x = B.tensorAt(c[X_PTR] + 4 * start * inSize, [rows, ...this.net.inputShape]);
      const t = B.tensorAt(c[T_PTR] + 4 * start * outSize, [rows, outSize]);
      // Deferred only here: the coordinator's network is the caller's, who may train it alone later.
      for (const { layer } of this.split) layer.deferWeightGrad = true;
      try {
        this.trainer.backprop(x, t, this.opts.reduction === 'sum' ? 1 : 1 / n, step);
      } finally {
        for (const { layer } of this.split) layer.deferWeightGrad = false;
        if (first) first.layer.product = null;
      }
      this.split.forEach(({ layer }, l) => {
        table[2 * l] = B.pointer(layer.deferred!.x);
        table[2 * l + 1] = B.pointer(layer.deferred!.dy);
      });
    } else {
      for (const { param } of this.net.params()) B.fill(param.grad, 0);
    }
    this.barrier();
    // The dense layers' weights: this replica's rows of dE/dW over every replica's rows of the batch.
    const sources = tables.map((t, q) => ({ rows: rowsOf(n, q, this.replicas).length, table: t }));
    this.split.forEach(({ units, inputs, chunks }, l) => {
      const parts = sources.filter((s) => s.rows > 0).map(({ rows, table }) => ({
        x: B.tensorAt(table[2 * l], [rows, inputs]), dy: B.tensorAt(table[2 * l + 1], [rows, units]),
      }));
      for (const { unit, units: m, param, mask } of chunks) {
        parts.forEach(({ x, dy }, q) => B.matmulColumnsT(dy, unit, m, x, param.grad, q > 0));
        if (mask) B.mul(param.grad, mask, param.grad);
        this.optimizer.update([param], lr, step + 1);
      }
    });
    for (const { own, peers } of this.reductions) for (const g of peers) B.add(own, g, own);
    this.optimizer.update(this.slices, lr, step + 1);
  }

  /** Rows [start, start + rows) of the first layer's x W^T into y, each replica's units from its product (at `products`). */
  private gatherFirst(y: Tensor, products: number[], start: number, rows: number): void {
    const B = this.B;
    const { units } = this.first!.layer;
    const memory = new Float32Array(B.memory.buffer);
    const out = B.pointer(y) >> 2;
    products.forEach((ptr, q) => {
      const { start: unit, length } = unitsOf(units, q, this.replicas);
      if (!length) return;
      const z = (ptr >> 2) + start * length;
      for (let i = 0; i < rows; i++) memory.copyWithin(out + i * units + unit, z + i * length, z + (i + 1) * length);
    });
  }

  /** Every replica waits here until all have arrived (a reusable, generation-counted barrier). */
  private barrier(): void {
    const c = this.ctrl;
    const gen = Atomics.load(c, BAR_GEN);
    if (Atomics.add(c, BAR_COUNT, 1) === this.replicas - 1) {
      Atomics.store(c, BAR_COUNT, 0);
      Atomics.add(c, BAR_GEN, 1);
      Atomics.notify(c, BAR_GEN);
      return;
    }
    waitWhile(c, BAR_GEN, gen);
  }

  private finish(): void {
    if (Atomics.add(this.ctrl, DONE, 1) === this.replicas - 2) Atomics.notify(this.ctrl, DONE);
  }
}

/** A spin-wait hint to the CPU where the runtime has one (Atomics.pause, ES2025). */
const pause: () => void = (Atomics as { pause?: () => void }).pause?.bind(Atomics) ?? (() => {});

/** Returns once c[i] !== value: up to SPINS polls, then asleep on the futex. */
function waitWhile(c: Int32Array, i: number, value: number): void {
  for (let k = 0; k < SPINS; k++) {
    if (Atomics.load(c, i) !== value) return;
    pause();
  }
  while (Atomics.load(c, i) === value) Atomics.wait(c, i, value);
}

/** Replica r's share of n rows: contiguous, sizes differing by at most one. */
export function rowsOf(n: number, r: number, replicas: number): { start: number; length: number } {
  const start = Math.floor((n * r) / replicas);
  return { start, length: Math.floor((n * (r + 1)) / replicas) - start };
}

/** Replica r's output units of a dense layer: contiguous, cut at multiples of 4 (the product's row tile). */
export function unitsOf(units: number, r: number, replicas: number): { start: number; length: number } {
  const cut = (k: number) => (k === replicas ? units : Math.min(units, Math.round((units * k) / replicas / 4) * 4));
  const start = cut(r);
  return { start, length: cut(r + 1) - start };
}

/** Replica r's slice of a parameter of `size` elements, cut at multiples of 16 floats (cache lines). */
export function sliceOf(size: number, r: number, replicas: number): { start: number; length: number } {
  const cut = (k: number) => (k === replicas ? size : Math.min(size, Math.floor((size * k) / replicas / 16) * 16));
  const start = cut(r);
  return { start, length: cut(r + 1) - start };
}

/**
 * The coordinating side, with the shape of `Trainer`: `step`/`stepHost` run one batch across the
 * replicas, training on the first rows itself; `drain` gathers the replicas' loss and accuracy.
 * `step` and `stepHost` block until the update is done. `startHost` returns once replica 0's share
 * is, while the others may still be finishing theirs: the caller gathers the next batch meanwhile,
 * and the next step (or `drain`, or `stop`) waits for them first. The host's batches go into one of
 * two pairs of tensors in turn, so a batch never lands where a replica is still reading the last.
 *
 * @example
 * // scripts/lib/replica-threads.ts starts the worker threads in Node
 * const { net, trainer } = await startReplicaThreads(spec, { threads: 2, loss: 'xent', optimizer: 'momentum' });
 * trainer.stepHost(x, t, 64, 0.1);
 */
export class ReplicaCoordinator implements StepTrainer {
  steps = 0;
  private seen = 0;
  private readonly ctrl: Int32Array;
  private readonly lrSlot: Float64Array;
  private readonly sums: Array<{ loss: Tensor; correct: Tensor }>;
  /** Where the host's batches are written: two pairs of tensors, used in turn. */
  private readonly batches: Array<{ x: BatchTensors; t: BatchTensors }>;
  /** A step whose worker replicas may still be running. */
  private pending = false;

  /** `local` is replica 0, over `net` itself; `reports` are every replica's, in order (local first). */
  constructor(
    readonly net: Network,
    private readonly local: Replica,
    reports: ReplicaReport[],
  ) {
    this.ctrl = new Int32Array(local.control, 0, LR_BYTE / 4);
    this.lrSlot = new Float64Array(local.control, LR_BYTE, 1);
    const B = net.backend as WasmBackend;
    this.sums = reports.map((r) => ({ loss: B.tensorAt(r.lossSum, [1]), correct: B.tensorAt(r.correct, [1]) }));
    this.batches = [0, 1].map(() => ({ x: new BatchTensors(net.backend, net.inputShape), t: new BatchTensors(net.backend, [net.outputSize]) }));
    local.connect(reports);
  }

  get replicas(): number {
    return this.local.replicas;
  }

  /** One update from a batch already in the shared memory (tensors of `net.backend`); returns when it is done. */
  step(x: Tensor, t: Tensor, lr: number): void {
    this.start(x, t, lr);
    this.settle();
  }

  stepHost(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void {
    this.startHost(x, t, n, lr);
    this.settle();
  }

  startHost(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void {
    const { x: xs, t: ts } = this.batches[this.steps % 2];
    const xt = xs.get(n);
    const tt = ts.get(n);
    this.net.backend.write(xt, x);
    this.net.backend.write(tt, t);
    this.start(xt, tt, lr);
  }

  /** Waits for the step in flight, wakes the worker replicas on this batch and trains replica 0's share of it. */
  private start(x: Tensor, t: Tensor, lr: number): void {
    this.settle();
    const c = this.ctrl;
    if (Atomics.load(c, STOP)) throw new Error('the data-parallel trainer was closed');
    const n = x.shape[0];
    c[N] = n;
    c[X_PTR] = (x as WasmTensor).ptr;
    c[T_PTR] = (t as WasmTensor).ptr;
    c[STEP] = this.steps;
    this.lrSlot[0] = lr;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    this.pending = true;
    this.local.step();
    this.steps++;
    this.seen += n;
  }

  /** Waits until the worker replicas have finished the step in flight, if any. */
  private settle(): void {
    if (!this.pending) return;
    this.pending = false;
    const c = this.ctrl;
    const workers = this.replicas - 1;
    for (let d = Atomics.load(c, DONE); d < workers; d = Atomics.load(c, DONE)) waitWhile(c, DONE, d);
    if (Atomics.load(c, FAILED)) {
      const bytes = new Uint8Array(this.local.control, ERROR_BYTE).slice();
      const end = bytes.indexOf(0);
      throw new Error(`data-parallel training failed: ${new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end))}`);
    }
  }

  async drain(): Promise<{ loss: number; accuracy: number; examples: number }> {
    this.settle();
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

  /** Lets the worker replicas return from `run`. */
  stop(): void {
    try {
      this.settle();
    } catch {
      // The workers are stopped whatever the last step ended with; its error belongs to a step or drain.
    }
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }
}
