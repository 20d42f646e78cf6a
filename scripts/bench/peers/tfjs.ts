import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
