import { recomputeStatistics, WeightAverage } from './average.ts';
import type { Tensor } from './backend/backend.ts';
import { BatchTensors } from './backend/batch-tensors.ts';
import { Loss, type LossName } from './loss.ts';
import type { Network, NamedTensor } from './network.ts';
import { createOptimizer, type Optimizer, type OptimizerName, type OptimizerOptions } from './optimizers/optimizer.ts';
import { LearningRate, type Schedule } from './optimizers/schedule.ts';
import { Rng } from './rng.ts';

/** n examples: inputs back to back (n x inputSize) and targets back to back (n x outputSize). */
export interface Dataset {
  n: number;
  x: Float32Array;
  y: Float32Array;
}

/** One-hot targets for class labels. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const t = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) t[i * classes + labels[i]] = 1;
  return t;
}

export interface TrainerOptions {
  loss: LossName;
  optimizer?: OptimizerName | Optimizer;
  optimizerOptions?: OptimizerOptions;
  /** Average the per-example derivatives over the batch ('mean', default) or sum them. */
  reduction?: 'mean' | 'sum';
}

/** What `fit` needs of a trainer: `Trainer`, or a data-parallel one with the same shape. */
export interface StepTrainer {
  /** One update from host arrays (n examples). */
  stepHost(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void;
  /**
   * Starts the same update and returns as soon as the caller may overwrite `x` and `t`, with
   * other threads possibly still finishing it: the network is updated once the next step or
   * `drain` returns. Where a trainer has it, `fit` gathers the next batch meanwhile.
   */
  startHost?(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void;
  /** Mean loss and accuracy since the last drain. */
  drain(): Promise<{ loss: number; accuracy: number; examples: number }>;
}

/** Writes a batch of host arrays into the trainer's input and target tensors, then steps (every trainer's `stepHost`). */
export function stepFromHost(
  trainer: { net: Network; targetTensor(n: number): Tensor; step(x: Tensor, t: Tensor, lr: number): void },
  x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number,
): void {
  const xt = trainer.net.inputTensor(n);
  const tt = trainer.targetTensor(n);
  trainer.net.backend.write(xt, x);
  trainer.net.backend.write(tt, t);
  trainer.step(xt, tt, lr);
}

/**
 * One step of mini-batch stochastic gradient descent: forward pass, loss gradient,
 * backpropagation, parameter update. Losses and correct counts accumulate on the backend and
 * come back only when asked (`drain`), so a GPU backend is not stalled every step.
 *
 * @example
 * const trainer = new Trainer(net, { loss: 'xent', optimizer: 'momentum' });
 * trainer.step(xBatch, tBatch, 0.1);
 * const { loss, accuracy } = await trainer.drain();
 */
export class Trainer implements StepTrainer {
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  /** Updates applied so far (Adam's bias correction and dropout's masks count with it). */
  steps = 0;
  /** Running sums since the last drain: the loss (summed over examples) and the correct count. */
  readonly lossSum: Tensor;
  readonly correct: Tensor;
  private readonly targets: BatchTensors;
  private seen = 0;

  constructor(
    readonly net: Network,
    readonly opts: TrainerOptions,
  ) {
    this.loss = new Loss(opts.loss, net);
    const o = opts.optimizer ?? 'sgd';
    this.optimizer = typeof o === 'string' ? createOptimizer(o, net.backend, opts.optimizerOptions) : o;
    this.lossSum = net.backend.tensor([1]);
    this.correct = net.backend.tensor([1]);
    this.targets = new BatchTensors(net.backend, [net.outputSize]);
  }

  /** The target tensor for a batch of n, allocated once per batch size. */
  targetTensor(n: number): Tensor {
    return this.targets.get(n);
  }

  /** One update from a batch already on the backend. */
  step(x: Tensor, t: Tensor, lr: number): void {
    const n = x.shape[0];
    this.backprop(x, t, this.opts.reduction === 'sum' ? 1 : 1 / n, this.steps);
    this.steps++;
    this.optimizer.update(this.net.params().map((p) => p.param), lr, this.steps);
    this.seen += n;
  }

  /**
   * Forward pass, loss and backpropagation without the update: fills every parameter's gradient
   * with `scale` times the summed per-example derivatives. Data-parallel replicas call this on
   * their share of a batch, with the scale of the whole batch.
   */
  backprop(x: Tensor, t: Tensor, scale: number, step: number): void {
    const y = this.net.forward(x, { training: true, step });
    const { grad, from } = this.loss.gradient(y, t, this.lossSum, scale);
    this.net.backend.countCorrect(y, t, this.correct, this.loss.multiLabel ? 'threshold' : 'argmax');
    this.net.backward(grad, from);
  }

  /** One update from host arrays (n examples). */
  stepHost(x: ArrayLike<number>, t: ArrayLike<number>, n: number, lr: number): void {
    stepFromHost(this, x, t, n, lr);
  }

  /** Mean loss and accuracy since the last drain (training mode: with dropout). */
  async drain(): Promise<{ loss: number; accuracy: number; examples: number }> {
    const [l, c] = await Promise.all([this.net.backend.read(this.lossSum), this.net.backend.read(this.correct)]);
    const examples = this.seen;
    this.net.backend.fill(this.lossSum, 0);
    this.net.backend.fill(this.correct, 0);
    this.seen = 0;
    return { loss: examples ? l[0] / examples : NaN, accuracy: examples ? c[0] / examples : NaN, examples };
  }
}

/** Loss and accuracy of the network on a dataset, in inference mode (no dropout). */
export async function evaluate(net: Network, data: Dataset, loss: LossName, batchSize = 500): Promise<{ loss: number; accuracy: number }> {
  const B = net.backend;
  const L = new Loss(loss, net);
  const lossSum = B.tensor([1]);
  const correct = B.tensor([1]);
  const targets = new BatchTensors(B, [net.outputSize]);
  for (let s = 0; s < data.n; s += batchSize) {
    const m = Math.min(batchSize, data.n - s);
    const x = net.inputTensor(m);
    const t = targets.get(m);
    B.write(x, data.x.subarray(s * net.inputSize, (s + m) * net.inputSize));
    B.write(t, data.y.subarray(s * net.outputSize, (s + m) * net.outputSize));
    const y = net.forward(x);
    L.measure(y, t, lossSum);
    B.countCorrect(y, t, correct, L.multiLabel ? 'threshold' : 'argmax');
  }
  const [l, c] = await Promise.all([B.read(lossSum), B.read(correct)]);
  for (const t of [lossSum, correct]) B.dispose(t);
  targets.dispose();
  L.dispose();
  return { loss: l[0] / data.n, accuracy: c[0] / data.n };
}

export interface EpochStats {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss?: number;
  validationAccuracy?: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number;
  examplesPerSecond: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean training loss and accuracy over the epoch so far. */
  loss: number;
  accuracy: number;
  examplesPerSecond: number;
}

export interface FitOptions extends TrainerOptions {
  /** Trains with this trainer (e.g. data-parallel across threads) instead of a new `Trainer`. */
  trainer?: StepTrainer;
  lr: number;
  schedule?: Schedule;
  batchSize: number;
  epochs: number;
  /** Seeds shuffling and augmentation (initialisation is the network's own seed). */
  seed?: number;
  /** Data augmentation: transforms a batch of inputs in place, drawing from `rng`. */
  augment?: (x: Float32Array, n: number, rng: Rng) => void;
  /**
   * The last `epochs` epochs train with this augmentation instead (milder, or none when absent):
   * heavy augmentation makes a network robust but keeps it from fitting the digits it will mostly
   * be served, which a few settling epochs at the schedule's low rates give back.
   */
  finalAugment?: { epochs: number; augment?: (x: Float32Array, n: number, rng: Rng) => void };
  /**
   * Changes a batch's targets in place after augmentation, from its inputs (e.g. a teacher's
   * answers for distillation: src/nn/distill.ts).
   */
  targets?: (x: Float32Array, t: Float32Array, n: number) => void | Promise<void>;
  /** Held-out data for early stopping and adaptive schedules. */
  validation?: Dataset;
  /** Stop when the validation loss has not improved for `patience` epochs; restore the best weights. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Evaluated after every epoch for the training-vs-test curves (never used to make decisions). */
  test?: Dataset;
  /** Stop after the epoch during which this many seconds of training have passed. */
  maxSeconds?: number;
  /**
   * Weight averaging: the network ends with the mean of its weights at the ends of epochs
   * `averageFrom` (1-based) to the last, batch-norm statistics recomputed over one pass of the
   * training data (src/nn/average.ts). Not combined with early stopping.
   */
  averageFrom?: number;
  /** Read the running loss every this many batches (1 on the CPU; more on a GPU). */
  reportEvery?: number;
  onBatch?: (info: BatchInfo) => void;
  onEpoch?: (stats: EpochStats) => void;
}

export interface History {
  epochs: EpochStats[];
  stoppedEarly: boolean;
  /** Why training stopped before its last epoch: no validation improvement, or the time limit. */
  stopReason?: 'patience' | 'time';
  /** The epoch whose weights the network holds at the end (1-based; with weight averaging, the last). */
  bestEpoch: number;
  /** How many epochs' weights were averaged (0: none). */
  averaged: number;
  seconds: number;
  examplesPerSecond: number;
}

/**
 * Mini-batch stochastic gradient descent over a dataset for a number of epochs: shuffles every
 * epoch, augments batches on the fly, follows the learning-rate schedule, evaluates the
 * validation and test sets after each epoch, and stops early when validation stops improving.
 */
export async function fit(net: Network, train: Dataset, opts: FitOptions): Promise<History> {
  const trainer: StepTrainer = opts.trainer ?? new Trainer(net, opts);
  const rng = new Rng(opts.seed ?? 1);
  const lr = new LearningRate(opts.lr, opts.schedule);
  const inSize = net.inputSize;
  const outSize = net.outputSize;
  if (train.x.length !== train.n * inSize || train.y.length !== train.n * outSize) {
    throw new Error(`dataset of ${train.n} examples needs ${inSize} inputs and ${outSize} targets each`);
  }
  const batchSize = Math.max(1, Math.min(opts.batchSize, train.n));
  const order = Uint32Array.from({ length: train.n }, (_, i) => i);
  const xb = new Float32Array(batchSize * inSize);
  const tb = new Float32Array(batchSize * outSize);
  const reportEvery = opts.reportEvery ?? 1;
  const history: History = { epochs: [], stoppedEarly: false, bestEpoch: 0, averaged: 0, seconds: 0, examplesPerSecond: 0 };
  if (opts.averageFrom !== undefined && opts.earlyStopping) throw new Error('weight averaging and early stopping do not combine: choose one');
  const average = opts.averageFrom !== undefined ? new WeightAverage() : null;
  const finalFrom = opts.finalAugment ? opts.epochs - opts.finalAugment.epochs : opts.epochs;
  if (opts.finalAugment && !(Number.isInteger(opts.finalAugment.epochs) && opts.finalAugment.epochs >= 1 && opts.finalAugment.epochs <= opts.epochs)) {
    throw new Error(`the final augmentation needs 1 to ${opts.epochs} epochs, got ${opts.finalAugment.epochs}`);
  }
  const augmentAt = (epoch: number) => (epoch >= finalFrom ? opts.finalAugment!.augment : opts.augment);
  let best: { loss: number; weights: NamedTensor[]; epoch: number } | null = null;
  let waited = 0;
  const started = now();
  let trainSeconds = 0;
  let trainExamples = 0;

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const rate = lr.at(epoch);
    const augment = augmentAt(epoch);
    rng.shuffle(order);
    const t0 = now();
    const batches = Math.ceil(train.n / batchSize);
    let sumLoss = 0;
    let sumCorrect = 0;
    let counted = 0;
    // Batch b + 1 is gathered and augmented right after batch b's step is started (`startHost`): a
    // data-parallel trainer's other threads may still be finishing it meanwhile.
    const prepare = async (b: number): Promise<number> => {
      const s = b * batchSize;
      const m = Math.min(batchSize, train.n - s);
      for (let i = 0; i < m; i++) {
        const k = order[s + i];
        xb.set(train.x.subarray(k * inSize, (k + 1) * inSize), i * inSize);
        tb.set(train.y.subarray(k * outSize, (k + 1) * outSize), i * outSize);
      }
      const xs = xb.subarray(0, m * inSize);
      if (augment) augment(xs, m, rng);
      if (opts.targets) await opts.targets(xs, tb.subarray(0, m * outSize), m);
      return m;
    };
    let m = await prepare(0);
    for (let b = 0; b < batches; b++) {
      (trainer.startHost ?? trainer.stepHost).call(trainer, xb.subarray(0, m * inSize), tb.subarray(0, m * outSize), m, rate);
      const done = b * batchSize + m;
      if (b + 1 < batches) m = await prepare(b + 1);
      if ((b + 1) % reportEvery === 0 || b === batches - 1) {
        const r = await trainer.drain();
        sumLoss += r.loss * r.examples;
        sumCorrect += r.accuracy * r.examples;
        counted += r.examples;
        if (!Number.isFinite(r.loss)) throw new Error(`training diverged at epoch ${epoch + 1}, batch ${b + 1} (loss ${r.loss}): lower the learning rate`);
        opts.onBatch?.({
          epoch: epoch + 1, batch: b + 1, batches, loss: sumLoss / counted, accuracy: sumCorrect / counted,
          examplesPerSecond: done / Math.max(1e-9, (now() - t0) / 1000),
        });
      }
    }
    const seconds = (now() - t0) / 1000;
    trainSeconds += seconds;
    trainExamples += train.n;
    const stats: EpochStats = {
      epoch: epoch + 1, lr: rate, trainLoss: sumLoss / counted, trainAccuracy: sumCorrect / counted,
      seconds, examplesPerSecond: train.n / seconds,
    };
    if (opts.validation) {
      const v = await evaluate(net, opts.validation, opts.loss);
      stats.validationLoss = v.loss;
      stats.validationAccuracy = v.accuracy;
    }
    if (opts.test) {
      const t = await evaluate(net, opts.test, opts.loss);
      stats.testLoss = t.loss;
      stats.testAccuracy = t.accuracy;
    }
    if (average && epoch + 1 >= opts.averageFrom!) await average.add(net);
    history.epochs.push(stats);
    opts.onEpoch?.(stats);
    lr.observe(stats.validationLoss ?? stats.trainLoss);

    if (opts.earlyStopping && stats.validationLoss !== undefined) {
      const minDelta = opts.earlyStopping.minDelta ?? 0;
      if (!best || stats.validationLoss < best.loss - minDelta) {
        best = { loss: stats.validationLoss, weights: await net.weights(), epoch: epoch + 1 };
        waited = 0;
      } else if (++waited >= opts.earlyStopping.patience) {
        history.stoppedEarly = true;
        history.stopReason = 'patience';
        break;
      }
    }
    if (opts.maxSeconds !== undefined && (now() - started) / 1000 >= opts.maxSeconds && epoch < opts.epochs - 1) {
      history.stoppedEarly = true;
      history.stopReason = 'time';
      break;
    }
  }
  if (best) net.setWeights(best.weights);
  history.bestEpoch = best ? best.epoch : history.epochs.length;
  if (average?.count) {
    await average.apply(net);
    await recomputeStatistics(net, trainingBatches(train, batchSize, inSize, rng, augmentAt(opts.epochs - 1)));
    history.averaged = average.count;
  }
  history.seconds = (now() - started) / 1000;
  history.examplesPerSecond = trainExamples / trainSeconds;
  return history;
}

/** One pass over the data in shuffled batches, augmented as in training (for batch-norm statistics). */
function* trainingBatches(train: Dataset, batchSize: number, inSize: number, rng: Rng, augment?: FitOptions['augment']): Generator<{ x: Float32Array; n: number }> {
  const order = rng.shuffle(Uint32Array.from({ length: train.n }, (_, i) => i));
  const x = new Float32Array(batchSize * inSize);
  // Whole batches only: the mean of equal batches' statistics is the statistics' mean.
  for (let s = 0; s + batchSize <= train.n; s += batchSize) {
    for (let i = 0; i < batchSize; i++) x.set(train.x.subarray(order[s + i] * inSize, (order[s + i] + 1) * inSize), i * inSize);
    augment?.(x, batchSize, rng);
    yield { x, n: batchSize };
  }
}

/** Two datasets of the same shapes as one (the first's examples, then the second's). */
export function concatDatasets(a: Dataset, b: Dataset): Dataset {
  const x = new Float32Array(a.x.length + b.x.length);
  const y = new Float32Array(a.y.length + b.y.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return { n: a.n + b.n, x, y };
}

/** Splits off the last `fraction` of a shuffled copy for validation. */
export function splitDataset(data: Dataset, fraction: number, seed: number, inSize: number, outSize: number): { train: Dataset; validation: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`validation fraction must be in (0, 1), got ${fraction}`);
  const order = new Rng(seed).shuffle(Uint32Array.from({ length: data.n }, (_, i) => i));
  const nv = Math.round(data.n * fraction);
  const take = (idx: Uint32Array): Dataset => {
    const x = new Float32Array(idx.length * inSize);
    const y = new Float32Array(idx.length * outSize);
    idx.forEach((k, i) => {
      x.set(data.x.subarray(k * inSize, (k + 1) * inSize), i * inSize);
      y.set(data.y.subarray(k * outSize, (k + 1) * outSize), i * outSize);
    });
    return { n: idx.length, x, y };
  };
  return { train: take(order.subarray(0, data.n - nv)), validation: take(order.subarray(data.n - nv)) };
}

function now(): number {
  return performance.now();
}
