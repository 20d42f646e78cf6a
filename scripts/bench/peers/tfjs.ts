/**
 * TensorFlow.js training the same network, run as its own process by the bench (see
 * line-process.ts): `tsx tfjs.ts <data base> <n> <lr> <cpu|wasm>`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { oneHot } from '../../../src/nn/train.ts';
import { LineProcess } from './line-process.ts';

let wasmReady = false;

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
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmReady) {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    wasmReady = true;
  }
  if (!(await quietly(() => tf.setBackend(name)))) throw new Error(`TensorFlow.js backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * The same network in TensorFlow.js on its current backend: 784-800-10, sigmoid, softmax
 * cross-entropy on the logits, SGD with momentum 0.9, written the lean way (optimizer.minimize,
 * no Layers API overhead).
 */
export class TfjsTrainer {
  private readonly vars: tf.Variable[];
  private readonly opt: tf.MomentumOptimizer;
  private readonly xs: tf.Tensor2D[];
  private readonly ts: tf.Tensor2D[];
  private at = 0;

  constructor(x: Float32Array, onehot: Float32Array, batches: number, lr: number) {
    quietly(() => tf.tidy(() => tf.add(1, 1))); // the banner comes with the first operation
    const glorot = (fanIn: number, fanOut: number) => tf.randomUniform([fanIn, fanOut], -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', 1);
    this.vars = [tf.variable(glorot(784, 800)), tf.variable(tf.zeros([800])), tf.variable(glorot(800, 10)), tf.variable(tf.zeros([10]))];
    this.opt = tf.train.momentum(lr, 0.9);
    this.xs = Array.from({ length: batches }, (_, b) => tf.tensor2d(x.subarray(b * 64 * 784, (b + 1) * 64 * 784), [64, 784]));
    this.ts = Array.from({ length: batches }, (_, b) => tf.tensor2d(onehot.subarray(b * 640, (b + 1) * 640), [64, 10]));
  }

  async run(batches: number): Promise<number> {
    const [w1, b1, w2, b2] = this.vars;
    const t0 = performance.now();
    let loss: tf.Scalar | null = null;
    for (let i = 0; i < batches; i++) {
      const x = this.xs[this.at];
      const t = this.ts[this.at];
      this.at = (this.at + 1) % this.xs.length;
      loss?.dispose();
      loss = this.opt.minimize(() => tf.losses.softmaxCrossEntropy(t, tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar, true, this.vars);
    }
    await loss!.data(); // wait for the last step
    loss!.dispose();
    return (performance.now() - t0) / 1000;
  }

  dispose(): void {
    tf.dispose([...this.vars, ...this.xs, ...this.ts]);
    this.opt.dispose();
  }
}

/** Starts TensorFlow.js on `backend` in a child process over the data at `dataBase`. */
export function startTfjs(backend: 'cpu' | 'wasm', dataBase: string, n: number, lr: number): Promise<LineProcess> {
  return LineProcess.start(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), dataBase, String(n), String(lr), backend], process.env);
}

// As a child process: serve the line protocol.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [base, nArg, lrArg, backend] = process.argv.slice(2);
  const n = Number(nArg);
  const x = new Float32Array(readFileSync(`${base}.x`).buffer.slice(0));
  const labels = new Uint8Array(readFileSync(`${base}.y`));
  await useTfjsBackend(backend as 'cpu' | 'wasm');
  const trainer = new TfjsTrainer(x.subarray(0, n * 784), oneHot(labels.subarray(0, n), 10), Math.floor(n / 64), Number(lrArg));
  const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ ready: true, version: tf.version.tfjs, backend: tf.getBackend() });
  for await (const line of createInterface({ input: process.stdin })) {
    const { batches } = JSON.parse(line) as { batches: number };
    say({ seconds: await trainer.run(batches) });
  }
  trainer.dispose();
}
