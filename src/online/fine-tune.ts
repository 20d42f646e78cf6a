import type { Network } from '../nn/network.ts';
import { Rng } from '../nn/rng.ts';
import { Trainer } from '../nn/train.ts';
import { forwardFlopsPerExample, trainingFlopsPerExample } from './budget.ts';
import { CLASSES, PIXELS, type Example } from './example.ts';
import { featuresOf, headOf } from './head.ts';
import { planFineTune } from './plan.ts';
import type { ReplayBuffer } from './replay-buffer.ts';

export interface FineTuneOptions {
  /** Passes over the new examples. */
  epochs?: number;
  batchSize?: number;
  /** Share of each batch drawn from the replay buffer. */
  replayShare?: number;
  lr?: number;
  momentum?: number;
  /**
   * The first layer that trains: 0 for all of them; by default the network's planned head (a
   * convolutional network's dense layers, every layer of an MLP: plan.ts). The layers below stay as
   * they are (batch norm keeps its statistics); their outputs for each example are computed once
   * (features) and every pass trains only the top.
   */
  trainFrom?: number;
  /** The budget as example passes through the trained layers; training stops when it is spent. */
  maxExamplePasses?: number;
  /**
   * The budget as floating-point operations: features of every example used (forward through the
   * frozen layers) plus training passes. Workers cannot read the CPU clock mid-computation, so the
   * caller converts its millisecond budget with a measured rate (budget.ts flopsWithin).
   */
  maxFlops?: number;
  seed?: number;
}

export interface FineTuneResult {
  steps: number;
  /** Example passes through the trained layers. */
  examplePasses: number;
  /** Examples whose features were computed (frozen layers only). */
  featureExamples: number;
  /** Floating-point operations spent (the budget's measure). */
  flops: number;
  /** True when the budget cut training short. */
  truncated: boolean;
  trainLoss: number;
}

/**
 * Continues training a network on new examples mixed with replayed old ones: mini-batch SGD with
 * momentum, cross-entropy, in place. Every batch holds new examples (cycled, shuffled each pass)
 * and a class-balanced draw from the replay buffer. Only the layers from `trainFrom` up train, on
 * features the frozen layers compute once per example. Options not given are the network's
 * measured plan (plan.ts planFineTune).
 *
 * @example
 * await fineTune(network, examples, replay, { maxFlops: 1.6e11 });
 */
export async function fineTune(net: Network, fresh: readonly Example[], replay: ReplayBuffer, given: FineTuneOptions = {}): Promise<FineTuneResult> {
  const o: FineTuneOptions = { ...planFineTune(net), ...given };
  const from = o.trainFrom ?? 0;
  const rng = new Rng(o.seed ?? 1);
  const schedule = planBatches(net, fresh, replay, o, rng);
  const head = from > 0 ? headOf(net, from) : null;
  const trained = head?.network ?? net;
  const inputs = await inputsOf(net, from, schedule.unique);
  const width = trained.inputSize;
  const trainer = new Trainer(trained, { loss: 'xent', optimizer: 'momentum', optimizerOptions: { momentum: o.momentum ?? 0.9 } });
  const lr = o.lr!;
  let lossSum = 0;
  for (const batch of schedule.batches) {
    const x = new Float32Array(batch.length * width);
    const y = new Float32Array(batch.length * CLASSES);
    batch.forEach((e, i) => {
      x.set(inputs.get(e)!, i * width);
      y[i * CLASSES + e.label] = 1;
    });
    trainer.stepHost(x, y, batch.length, lr);
    lossSum += (await trainer.drain()).loss;
  }
  head?.commit();
  const steps = schedule.batches.length;
  return {
    steps, examplePasses: schedule.passes, featureExamples: from > 0 ? schedule.unique.length : 0, flops: schedule.flops,
    truncated: schedule.truncated, trainLoss: steps ? lossSum / steps : NaN,
  };
}

/** The batches of a fine-tune, drawn up front so that the features of every example they use are computed in one go. */
function planBatches(net: Network, fresh: readonly Example[], replay: ReplayBuffer, o: FineTuneOptions, rng: Rng) {
  const from = o.trainFrom ?? 0;
  const batchSize = o.batchSize ?? 32;
  const replayShare = replay.size ? (o.replayShare ?? 0.75) : 0;
  const perBatchNew = Math.max(1, Math.round(batchSize * (1 - replayShare)));
  const perBatchReplay = batchSize - perBatchNew;
  const passFlops = trainingFlopsPerExample(net, from);
  const featureFlops = from > 0 ? forwardFlopsPerExample(net, from) : 0;
  const maxPasses = o.maxExamplePasses ?? Infinity;
  const maxFlops = o.maxFlops ?? Infinity;
  const batches: Example[][] = [];
  const seen = new Set<Example>();
  let passes = 0;
  let flops = 0;
  let truncated = false;
  const order = fresh.map((_, i) => i);
  const stepsPerEpoch = Math.ceil(fresh.length / perBatchNew);
  outer: for (let e = 0; e < (o.epochs ?? 5); e++) {
    rng.shuffle(order);
    for (let s = 0; s < stepsPerEpoch; s++) {
      const batch = order.slice(s * perBatchNew, (s + 1) * perBatchNew).map((i) => fresh[i]);
      batch.push(...replay.sample(perBatchReplay, rng));
      const unseen = batch.filter((x) => !seen.has(x));
      const cost = batch.length * passFlops + new Set(unseen).size * featureFlops;
      if (passes + batch.length > maxPasses || flops + cost > maxFlops) {
        truncated = true;
        break outer;
      }
      unseen.forEach((x) => seen.add(x));
      batches.push(batch);
      passes += batch.length;
      flops += cost;
    }
  }
  return { batches, unique: [...seen], passes, flops, truncated };
}

/** Each example's input to the trained layers: its pixels in [0, 1], or the frozen layers' features. */
async function inputsOf(net: Network, from: number, examples: readonly Example[]): Promise<Map<Example, Float32Array>> {
  const x = new Float32Array(examples.length * PIXELS);
  examples.forEach((e, i) => {
    for (let j = 0; j < PIXELS; j++) x[i * PIXELS + j] = e.pixels[j] / 255;
  });
  const features = from > 0 ? await featuresOf(net, from, x) : x;
  const width = features.length / Math.max(1, examples.length);
  return new Map(examples.map((e, i) => [e, features.subarray(i * width, (i + 1) * width)]));
}
