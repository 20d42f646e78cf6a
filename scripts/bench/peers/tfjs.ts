/**
 * TensorFlow.js as a contender of `npm run bench -- train-cpu`, run by the bench in a process of
 * its own (scripts/bench/alone.ts): `tsx tfjs.ts <data base> <examples> <lr> <cpu|wasm>` trains
 * the same network, batch 64: a warm-up of 3 batches, then one timed shuffled pass over the first
 * <examples> images; prints {"seconds", "examples", "version", "backend"}.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../../src/nn/rng.ts';
import { oneHot } from '../../../src/nn/train.ts';
import { readBenchData } from './data.ts';

const BATCH = 64;

/** Runs f with console.log/warn silenced: tfjs prints an "install tfjs-node" banner on first use in Node. */
function quietly<T>(f: () => T): T {
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    return f();
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

/** Selects a TensorFlow.js backend ('cpu': plain JavaScript, 'wasm': XNNPACK, SIMD, one thread in Node). */
async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  }
  if (!(await quietly(() => tf.setBackend(name)))) throw new Error(`TensorFlow.js backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * The same network in TensorFlow.js: 784-800-10, sigmoid, softmax cross-entropy on the logits,
 * SGD with momentum 0.9, written the lean way (optimizer.minimize, no Layers API overhead).
 * Batches are gathered on the host, as `fit` does for the core.
 */
async function train(x: Float32Array, labels: Uint8Array, n: number, lr: number, seed: number, vars: tf.Variable[], opt: tf.MomentumOptimizer): Promise<number> {
  const [w1, b1, w2, b2] = vars;
  const t = oneHot(labels, 10);
  const order = new Rng(seed).shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  const xb = new Float32Array(BATCH * 784);
  const tb = new Float32Array(BATCH * 10);
  let loss: tf.Scalar | null = null;
  for (let b = 0; b + BATCH <= n; b += BATCH) {
    for (let i = 0; i < BATCH; i++) {
      const k = order[b + i];
      xb.set(x.subarray(k * 784, (k + 1) * 784), i * 784);
      tb.set(t.subarray(k * 10, (k + 1) * 10), i * 10);
    }
    const xs = tf.tensor2d(xb, [BATCH, 784]);
    const ts = tf.tensor2d(tb, [BATCH, 10]);
    loss?.dispose();
    loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ts, tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(xs, w1), b1)), w2), b2)) as tf.Scalar, true, vars);
    tf.dispose([xs, ts]);
  }
  const value = (await loss!.data())[0];
  loss!.dispose();
  return value;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [base, examplesArg, lrArg, backend] = process.argv.slice(2);
  const n = Math.floor(Number(examplesArg) / BATCH) * BATCH;
  const lr = Number(lrArg);
  const { x, labels } = readBenchData(base, Math.max(n, 3 * BATCH));
  await useTfjsBackend(backend as 'cpu' | 'wasm');
  quietly(() => tf.tidy(() => tf.add(1, 1))); // the banner comes with the first operation
  const glorot = (fanIn: number, fanOut: number) => tf.randomUniform([fanIn, fanOut], -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', 1);
  const vars = [tf.variable(glorot(784, 800)), tf.variable(tf.zeros([800])), tf.variable(glorot(800, 10)), tf.variable(tf.zeros([10]))];
  const opt = tf.train.momentum(lr, 0.9);
  await train(x, labels, 3 * BATCH, lr, 2, vars, opt);
  const t0 = performance.now();
  const loss = await train(x, labels, n, lr, 1, vars, opt);
  const seconds = (performance.now() - t0) / 1000;
  if (!Number.isFinite(loss)) throw new Error('training diverged');
  process.stdout.write(`${JSON.stringify({ seconds, examples: n, version: tf.version.tfjs, backend: tf.getBackend() })}\n`);
}
