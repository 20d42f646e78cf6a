#!/usr/bin/env -S npx tsx
/**
 * npm run evaluate -- <model.onnx>: accuracy of a model on the 10,000 MNIST test images, computed
 * twice, by the core (import) and by onnxruntime-node on the same bytes, with the confusion matrix;
 * then on the outside-MNIST digit set (data/digits: dev and test, by source and style), each image
 * through the Worker's preprocessing (src/image), again by both; then on MNIST test digits moved,
 * scaled 3-8x and drawn on a canvas, on paper and inverted, through the same preprocessing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { confusion, type Confusion } from '../src/nn/metrics.ts';
import { importOnnx } from '../src/onnx/import.ts';
import { fail, runMain } from './lib/cli.ts';
import type { ModelCard } from '../src/models/card.ts';
import { round, sha256 } from './lib/model-card.ts';
import { networkFlops } from '../src/nn/flops.ts';
import { loadMnist } from './lib/mnist.ts';
import { movedMnist, type MovedStyle } from './lib/online-sets.ts';
import { digitSetPixels, loadDigitSet, OUTSIDE_MNIST_DATA, predictedDigits, tallyDigitSet, type Tally } from './lib/digit-set.ts';

const program = new Command('npm run evaluate --')
  .description('Evaluate an ONNX model on the MNIST test set with the core and with onnxruntime.')
  .argument('<model>', 'the .onnx file')
  .option('--json', 'print the result as JSON')
  .option('--core-share <n>', 'run the core on every n-th image only (large models on a busy CPU); onnxruntime runs on all and gives the figures', (v) => Math.max(1, Math.floor(Number(v)) || 1), 1)
  .option('--moved <n>', 'MNIST test digits to move, scale and draw each way (canvas, paper, inverted); 0 skips', (v) => Math.max(0, Math.floor(Number(v)) || 0), 1000)
  .option('--update-card', "write the outside-MNIST figures and MFLOP per prediction into the model's card (<model>.json beside it)")
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const [path] = program.args;
  const { json, updateCard, coreShare, moved } = program.opts<{ json?: boolean; updateCard?: boolean; coreShare: number; moved: number }>();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    fail(`cannot read '${path}'`);
  }
  const { test } = loadMnist({ limit: 0 });
  const { network, metadata } = await importOnnx(bytes);
  if (network.inputSize !== 784 || network.outputSize !== 10) fail(`the model takes ${network.inputSize} inputs and gives ${network.outputSize} outputs; MNIST needs 784 and 10`);

  const session = await ort.InferenceSession.create(bytes);
  const both = async (pixels: Float32Array, n: number) => {
    const fed = new ort.Tensor('float32', pixels, [n, ...network.inputShape]);
    const viaOrt = (await session.run({ [session.inputNames[0]]: fed }))[session.outputNames[0]].data as Float32Array;
    if (coreShare === 1) {
      const core = await network.predict(pixels);
      let maxDiff = 0;
      for (let i = 0; i < core.length; i++) maxDiff = Math.max(maxDiff, Math.abs(core[i] - viaOrt[i]));
      return { core, viaOrt, maxDiff };
    }
    // The core on every n-th image, compared with onnxruntime there; the figures are onnxruntime's.
    const per = pixels.length / n;
    const some = Array.from({ length: Math.ceil(n / coreShare) }, (_, k) => k * coreShare);
    const x = new Float32Array(some.length * per);
    some.forEach((i, k) => x.set(pixels.subarray(i * per, (i + 1) * per), k * per));
    const part = await network.predict(x);
    let maxDiff = 0;
    some.forEach((i, k) => {
      for (let j = 0; j < 10; j++) maxDiff = Math.max(maxDiff, Math.abs(part[k * 10 + j] - viaOrt[i * 10 + j]));
    });
    return { core: viaOrt, viaOrt, maxDiff };
  };
  const { core, viaOrt, maxDiff: mnistDiff } = await both(test.pixels, test.n);
  const digits = loadDigitSet();
  const { pixels: digitPixels, refused } = digitSetPixels(digits);
  const set = await both(digitPixels, digits.length);
  const maxDiff = Math.max(mnistDiff, set.maxDiff);
  const outsideMnist = tallyDigitSet(digits, predictedDigits(set.core, refused));
  const ortOutside = tallyDigitSet(digits, predictedDigits(set.viaOrt, refused));

  // The same digits moved, scaled and drawn three ways: what the preprocessing must undo.
  const movedMnistAccuracy: Record<string, { core: number; onnxruntime: number; total: number }> = {};
  const first = Array.from({ length: Math.min(moved, test.n) }, (_, i) => i);
  for (const style of moved ? (['canvas', 'paper', 'inverted'] as MovedStyle[]) : []) {
    const drawn = movedMnist(test, first, 11, style);
    const x = new Float32Array(drawn.length * 784);
    drawn.forEach((d, k) => x.set(d.pixels, k * 784));
    const r = await both(x, drawn.length);
    const labels = Uint8Array.from(drawn, (d) => d.label);
    movedMnistAccuracy[style] = { core: confusion(r.core, labels, 10).accuracy, onnxruntime: confusion(r.viaOrt, labels, 10).accuracy, total: drawn.length };
  }

  const a = confusion(core, test.labels, 10);
  const b = confusion(viaOrt, test.labels, 10);
  const result = {
    model: path,
    recordedAccuracy: metadata['nutshell.test_accuracy'] ? Number(metadata['nutshell.test_accuracy']) : null,
    core: a.accuracy,
    onnxruntime: b.accuracy,
    maxOutputDifference: maxDiff,
    perClassAccuracy: a.perClassAccuracy,
    confusionMatrix: a.matrix,
    /** data/digits, by split, source and style (core; onnxruntime's overall figures beside). */
    outsideMnist,
    outsideMnistOnnxruntime: { dev: ortOutside.dev, test: ortOutside.test },
    /** The first `--moved` MNIST test digits moved, scaled 3-8x, drawn each way (core and onnxruntime). */
    movedMnist: movedMnistAccuracy,
  };
  if (updateCard) {
    const cardFile = path.replace(/\.onnx$/, '.json');
    const card = JSON.parse(readFileSync(cardFile, 'utf8')) as ModelCard;
    if (card.sha256 !== sha256(bytes)) fail(`${cardFile} describes another file (sha256 ${card.sha256})`);
    card.metrics.outsideMnist = Object.fromEntries(Object.entries(outsideMnist).map(([k, v]) => [k, { accuracy: round(v.accuracy, 6), right: v.right, total: v.total }]));
    if (moved) card.metrics.movedMnist = Object.fromEntries(Object.entries(movedMnistAccuracy).map(([k, v]) => [k, { accuracy: round(v.core, 6), total: v.total }]));
    card.metrics.mflopsPerPrediction = round(networkFlops(network.spec()).total / 1e6, 3);
    card.data.outsideMnist ??= OUTSIDE_MNIST_DATA;
    writeFileSync(cardFile, JSON.stringify(card, null, 2) + '\n');
  }
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const coreNote = coreShare === 1 ? 'core' : `onnxruntime; the core on every ${coreShare}th image`;
  console.log(`${path}: test accuracy ${pct(a.accuracy)} (${coreNote}), ${pct(b.accuracy)} (onnxruntime-node); outputs differ by at most ${maxDiff.toExponential(2)}`);
  if (result.recordedAccuracy !== null) console.log(`recorded in the model: ${pct(result.recordedAccuracy)}`);
  printConfusion(a);
  console.log(`outside MNIST (data/digits, ${digits.length} digits through the Worker's preprocessing, ${refused.reduce((a, b) => a + b, 0)} refused as no digit; onnxruntime: dev ${pct(ortOutside.dev.accuracy)}, test ${pct(ortOutside.test.accuracy)})`);
  printTallies(outsideMnist);
  if (moved) console.log(`MNIST test digits moved and scaled 3-8x on a 280 x 280 image, the first ${first.length}, through the Worker's preprocessing (core; onnxruntime):`);
  for (const [style, v] of Object.entries(movedMnistAccuracy)) console.log(`  ${style.padEnd(22)} ${pct(v.core).padStart(7)}  (${pct(v.onnxruntime)})`);
}

function printTallies(t: Record<string, Tally>): void {
  for (const [key, v] of Object.entries(t)) console.log(`  ${key.padEnd(22)} ${pct(v.accuracy).padStart(7)}  (${v.right} of ${v.total})`);
}

function printConfusion(c: Confusion): void {
  console.log('confusion matrix (rows: true digit, columns: predicted)');
  console.log('     ' + [...Array(10).keys()].map((d) => String(d).padStart(5)).join('') + '  accuracy');
  c.matrix.forEach((row, d) => console.log(String(d).padStart(4) + ' ' + row.map((v) => String(v).padStart(5)).join('') + '  ' + pct(c.perClassAccuracy[d])));
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

runMain(main);
