import type { Network } from '../nn/network.ts';
import { Rng } from '../nn/rng.ts';
import { Trainer } from '../nn/train.ts';
import { toBatch, type Example } from './example.ts';
import type { ReplayBuffer } from './replay-buffer.ts';
import { denseHead } from './head.ts';

export interface FineTuneOptions {
  /** Passes over the new examples. */
  epochs?: number;
  batchSize?: number;
  /** Share of each batch drawn from the replay buffer. */
  replayShare?: number;
  lr?: number;
  momentum?: number;
  /**
   * The CPU budget as a number of example passes (one forward and backward pass of one example);
   * training stops when it is spent. Workers cannot read the CPU clock mid-computation, so the
   * caller converts its millisecond budget with a measured rate.
   */
  maxExamplePasses?: number;
  seed?: number;
}

export interface FineTuneResult {
  steps: number;
  examplePasses: number;
  /** True when the budget cut training short. */
  truncated: boolean;
  trainLoss: number;
}

/**
 * Continues training a network on new examples mixed with replayed old ones: mini-batch SGD with
 * momentum, cross-entropy, in place (a convolutional network: its dense head only). Every batch holds new examples (cycled, shuffled each pass)
 * and a class-balanced draw from the replay buffer.
 *
 * @example
 * await fineTune(network, examples, replay, { epochs: 5, maxExamplePasses: 20_000 });
 */
export async function fineTune(net: Network, fresh: readonly Example[], replay: ReplayBuffer, o: FineTuneOptions = {}): Promise<FineTuneResult> {
  const batchSize = o.batchSize ?? 32;
  const replayShare = replay.size ? (o.replayShare ?? 0.75) : 0;
  const perBatchNew = Math.max(1, Math.round(batchSize * (1 - replayShare)));
  const perBatchReplay = batchSize - perBatchNew;
  const epochs = o.epochs ?? 5;
  const budget = o.maxExamplePasses ?? Infinity;
  const rng = new Rng(o.seed ?? 1);
  // A convolutional network trains its dense head only (src/online/head.ts).
  const split = await denseHead(net);
  const trainer = new Trainer(split?.head ?? net, { loss: 'xent', optimizer: 'momentum', optimizerOptions: { momentum: o.momentum ?? 0.9 } });
  // The online trainer's measured rate (functions/trainer FINE_TUNING): 0.003 broke good rounds.
  const lr = o.lr ?? 0.001;
  let passes = 0;
  let steps = 0;
  let lossSum = 0;
  let truncated = false;
  const order = fresh.map((_, i) => i);
  const stepsPerEpoch = Math.ceil(fresh.length / perBatchNew);
  outer: for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < stepsPerEpoch; s++) {
      const batch = order.slice(s * perBatchNew, (s + 1) * perBatchNew).map((i) => fresh[i]);
      batch.push(...replay.sample(perBatchReplay, rng));
      if (passes + batch.length > budget) {
        truncated = true;
        break outer;
      }
      const { x, y } = toBatch(batch);
      trainer.stepHost(split ? await split.features(x, batch.length) : x, y, batch.length, lr);
      passes += batch.length;
      steps++;
      lossSum += (await trainer.drain()).loss;
    }
  }
  await split?.commit();
  return { steps, examplePasses: passes, truncated, trainLoss: steps ? lossSum / steps : NaN };
}
