import digitsOnnx from '../../models/digits.onnx';
import { checkModel } from '../../src/models/check.ts';
import { coreBackend } from '../inference/kernels.ts';
import { requireOnnxRuntime } from '../inference/engines.ts';
import type { OnnxRuntimeService } from '../inference/onnxruntime-service.ts';
import { DEFAULT_FEEDBACK_BATCH_SECONDS, DEFAULT_FEEDBACK_BATCH_SIZE, DEFAULT_MODEL, DEFAULT_TRAIN_CPU_BUDGET_MS, MAX_CORRECTIONS_PER_ROUND, TRAIN_FLOPS_PER_CPU_MS } from '../limits.ts';
import { firstVersion, type BundledBytes } from '../models/fork.ts';
import { recordFailure, storeDeadLetter } from '../queue/dead-letters.ts';
import { numberVar } from '../vars.ts';
import { fixedHoldout, fixedReplaySeed } from './fixed-sets.ts';
import { GROUP_ATTEMPTS, OnlineLearner } from './learner.ts';
import type { TrainerStorage } from './state.ts';

/** The models bundled with the Worker: the first version of each, and what personal models fork from when their base has no versions. */
const BUNDLED: BundledBytes = { [DEFAULT_MODEL]: new Uint8Array(digitsOnnx) };

/**
 * One model's online learner, wired to the Worker's pieces: its R2 registry, the trainer's storage,
 * the fixed sets (its static assets), the core's kernels, the onnxruntime Worker's check and the limits in `env`.
 * The trainer (object.ts) imports this module on its first round or status, so that the Worker's
 * start does not evaluate the training code.
 *
 * @example
 * const learner = openLearner('digits', env, ctx.storage);
 */
export function openLearner(model: string, env: Env, storage: TrainerStorage): OnlineLearner {
  return new OnlineLearner({
    model,
    store: env.MODELS,
    storage,
    firstVersion: (registry) => firstVersion(env.MODELS, registry.name, BUNDLED),
    holdout: () => fixedHoldout(env.ASSETS),
    replaySeed: () => fixedReplaySeed(env.ASSETS),
    backend: coreBackend,
    verify: (bytes) => checkModel(requireOnnxRuntime(env.ONNXRUNTIME as OnnxRuntimeService | undefined), bytes),
    budgetMs: numberVar(env.TRAIN_CPU_BUDGET_MS, 'TRAIN_CPU_BUDGET_MS', DEFAULT_TRAIN_CPU_BUDGET_MS),
    flopsPerMs: TRAIN_FLOPS_PER_CPU_MS,
    batching: {
      size: numberVar(env.FEEDBACK_BATCH_SIZE, 'FEEDBACK_BATCH_SIZE', DEFAULT_FEEDBACK_BATCH_SIZE, { min: 1 }),
      seconds: numberVar(env.FEEDBACK_BATCH_SECONDS, 'FEEDBACK_BATCH_SECONDS', DEFAULT_FEEDBACK_BATCH_SECONDS),
      max: MAX_CORRECTIONS_PER_ROUND,
    },
    deadLetter: async (message, error) => {
      await recordFailure(env.MODELS, message.delivery, new Error(error), GROUP_ATTEMPTS);
      await storeDeadLetter(env.MODELS, message);
    },
  });
}
