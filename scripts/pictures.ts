#!/usr/bin/env -S npx tsx
/**
 * npm run pictures -- [--model models/digits.onnx] [--out docs/pictures]: the pictures of
 * training, drawn from real runs: the confusion matrix, the first layer's learned features,
 * the most confidently wrong test digits, the overfitting picture (a small training set, where
 * the training and test curves part) and the article's error surface with gradient descent paths.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { confidentMistakes, confusion } from '../src/nn/metrics.ts';
import { firstLayerImages } from '../src/nn/pictures.ts';
import { parseArch } from '../src/nn/presets.ts';
import { fit, oneHot } from '../src/nn/train.ts';
import { importOnnx } from '../src/onnx/import.ts';
import { createTraining } from './lib/training.ts';
import { runMain } from './lib/cli.ts';
import { loadMnist, take } from './lib/mnist.ts';
import { confusionSpec, errorSurfaceSpec, imageGridSpec, pngDataUri } from './lib/pictures.ts';
import { curvesSpec, renderSvg } from './lib/plots.ts';

const program = new Command('npm run pictures --')
  .description('Draw the pictures of training (SVG) from a trained model and a small overfitting run.')
  .option('--model <path>', 'the trained model to picture', 'models/digits.onnx')
  .option('--out <dir>', 'where to write the SVG files', 'docs/pictures')
  .option('--overfit-epochs <n>', 'epochs of the overfitting run', '60')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ model: string; out: string; overfitEpochs: string }>();
  mkdirSync(o.out, { recursive: true });
  const write = async (file: string, spec: Parameters<typeof renderSvg>[0]) => {
    writeFileSync(join(o.out, file), await renderSvg(spec));
    console.log(`wrote ${join(o.out, file)}`);
  };
  const { train, test } = loadMnist();
  const { network } = await importOnnx(new Uint8Array(readFileSync(o.model)));
  const outputs = await network.predict(test.pixels);
  const conf = confusion(outputs, test.labels, 10);
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

  await write('confusion.svg', confusionSpec(conf.matrix, `Confusion matrix on the 10,000 MNIST test digits (${pct(conf.accuracy)} correct)`));

  const mistakes = confidentMistakes(outputs, test.labels, 10, 24).map((m) => ({
    uri: pngDataUri(test.pixels.subarray(m.index * 784, (m.index + 1) * 784), 28, 28),
    caption: `${m.label} → ${m.predicted} (${(100 * m.confidence).toFixed(1)}%)`,
  }));
  await write('mistakes.svg', imageGridSpec(mistakes, 8, 'The test digits the model was most sure about, and wrong (true → predicted)'));

  const features = await firstLayerImages(network);
  const shown = features.images.slice(0, 64).map((img, i) => ({ uri: pngDataUri(img, features.width, features.height, false), caption: `unit ${i}` }));
  await write('features.svg', imageGridSpec(shown, 8, "The first layer's learned features: each unit's incoming weights as an image (bright = positive)", 48));

  // The overfitting picture: a big network, a small training set, many epochs.
  const small = take(train, 1000);
  const { net, trainer, close } = await createTraining(parseArch('784-800-10', { activation: 'sigmoid' }), { threads: 1, seed: 1, loss: 'xent', optimizer: 'momentum' });
  const history = await fit(net, { n: small.n, x: small.pixels, y: oneHot(small.labels, 10) }, {
    trainer, loss: 'xent', optimizer: 'momentum', lr: 0.05, batchSize: 32, epochs: Number(o.overfitEpochs), seed: 1,
    test: { n: 2000, x: test.pixels.subarray(0, 2000 * 784), y: oneHot(test.labels.subarray(0, 2000), 10) },
  });
  await close();
  await write('overfitting.svg', curvesSpec(history.epochs, 'Overfitting: 784-800-10 on 1,000 training digits (test: 2,000 others)'));

  await write('error-surface.svg', errorSurfaceSpec());
}

runMain(main);
