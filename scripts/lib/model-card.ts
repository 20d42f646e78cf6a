import { createHash } from 'node:crypto';
import os from 'node:os';
import type { NetworkSpec } from '../../src/nn/network.ts';
import type { Confusion } from '../../src/nn/metrics.ts';
import type { History } from '../../src/nn/train.ts';

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

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function machine(backend: string): ModelCard['device'] {
  const cpus = os.cpus();
  return { backend, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** Strips connectivity masks (they live in the model file) so the card stays readable. */
export function cardSpec(spec: NetworkSpec): NetworkSpec {
  return { input: spec.input, layers: spec.layers.map((l) => (l.type === 'dense' && l.mask ? { type: 'dense', units: l.units } : l)) };
}

export function confusionMetrics(c: Confusion): Pick<ModelCard['metrics'], 'perClassAccuracy' | 'confusionMatrix'> {
  return { perClassAccuracy: c.perClassAccuracy.map((a) => round(a, 6)), confusionMatrix: c.matrix };
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
