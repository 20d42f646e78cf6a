#!/usr/bin/env -S npx tsx
/**
 * npm run evaluate -- <model.onnx>: accuracy of a model on the 10,000 MNIST test images, computed
 * twice, by the core (import) and by onnxruntime-node on the same bytes, with the confusion matrix.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { confusion, type Confusion } from '../src/nn/metrics.ts';
import { importOnnx } from '../src/onnx/import.ts';
import { fail, runMain } from './lib/cli.ts';
import { loadMnist } from './lib/mnist.ts';

const program = new Command('npm run evaluate --')
  .description('Evaluate an ONNX model on the MNIST test set with the core and with onnxruntime.')
  .argument('<model>', 'the .onnx file')
  .option('--json', 'print the result as JSON')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const [path] = program.args;
  const { json } = program.opts<{ json?: boolean }>();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    fail(`cannot read '${path}'`);
  }
  const { test } = loadMnist({ limit: 0 });
  const { network, metadata } = await importOnnx(bytes);
  if (network.inputSize !== 784 || network.outputSize !== 10) fail(`the model takes ${network.inputSize} inputs and gives ${network.outputSize} outputs; MNIST needs 784 and 10`);

  const core = await network.predict(test.pixels);
  const session = await ort.InferenceSession.create(bytes);
  const input = session.inputNames[0];
  const fed = new ort.Tensor('float32', test.pixels, [test.n, ...network.inputShape]);
  const viaOrt = (await session.run({ [input]: fed }))[session.outputNames[0]].data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < core.length; i++) maxDiff = Math.max(maxDiff, Math.abs(core[i] - viaOrt[i]));

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
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`${path}: test accuracy ${pct(a.accuracy)} (core), ${pct(b.accuracy)} (onnxruntime-node); outputs differ by at most ${maxDiff.toExponential(2)}`);
  if (result.recordedAccuracy !== null) console.log(`recorded in the model: ${pct(result.recordedAccuracy)}`);
  printConfusion(a);
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
