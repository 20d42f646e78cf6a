import type { NetworkSpec } from '../nn/network.ts';
import type { History } from '../nn/train.ts';

/**
 * The model card written beside every trained model (`<model>.json`): what it is, how it was
 * trained, on what data, how well it does and how fast training ran. The Worker and the README
 * read their figures from here.
 */
export interface ModelCard {
  name: string;
  file: string;
  /** sha256 of the .onnx file's bytes. */
  sha256: string;
  createdAt: string;
  architecture: { arch: string; spec: NetworkSpec; parameters: number; input: number[]; output: number[] };
  hyperparameters: Record<string, string | number | boolean | null>;
  /** The exact command that trained it. */
  command?: string;
  /** Anything the figures alone do not say (e.g. a file moved since it was trained). */
  note?: string;
  data: { train: string; test: string; trainExamples: number; validationExamples: number; augment: string; syntheticExamples?: number; outsideMnist?: string };
  metrics: {
    testAccuracy: number;
    testLoss: number;
    /** On the MNIST validation split (taken from the training images), when there was one. */
    validationAccuracy?: number | null;
    /** data/digits by split, source and style (canvas / paper), through the Worker's preprocessing. */
    outsideMnist?: Record<string, { accuracy: number; right: number; total: number }> | null;
    /** MNIST test digits moved, scaled 3-8x and drawn on a canvas, on paper and inverted, through the Worker's preprocessing (`npm run evaluate`). */
    movedMnist?: Record<string, { accuracy: number; total: number }>;
    /** Floating-point operations for one prediction (src/nn/flops.ts), in millions. */
    mflopsPerPrediction?: number;
    perClassAccuracy: number[];
    confusionMatrix: number[][];
    examplesPerSecond: number;
    trainingSeconds: number;
    secondsPerEpoch: number;
    epochs: number;
    bestEpoch: number;
    /** Epochs whose weights were averaged into the model (0: none; --average-from). */
    averagedEpochs?: number;
    stoppedEarly: boolean;
    stopReason: 'patience' | 'time' | null;
    history: History['epochs'];
  };
  device: { backend: string; cpu: string; cores: number; node: string; platform: string };
  files: { model: string; curves?: string };
}
