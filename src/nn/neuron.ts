/**
 * The article's single neurons, written exactly as it derives them, one example at a time.
 * The batched layers in `layers/` compute the same thing for many neurons and examples at once;
 * the tests check that both agree.
 */

/** A linear neuron: y = sum_i w_i x_i (no bias, as in the article's dining-hall problem). */
export class LinearNeuron {
  readonly weights: number[];
  constructor(inputs: number, initial = 0) {
    this.weights = new Array(inputs).fill(initial);
  }

  output(x: readonly number[]): number {
    let y = 0;
    for (let i = 0; i < x.length; i++) y += this.weights[i] * x[i];
    return y;
  }

  /**
   * The delta rule: for the squared error E = 1/2 sum (t - y)^2 over the examples given,
   * dw_i = epsilon * sum (t - y) x_i. Applying it after all examples is batch gradient descent;
   * calling it with one example at a time is stochastic gradient descent.
   */
  deltaRule(examples: ReadonlyArray<{ x: readonly number[]; t: number }>, epsilon: number): number {
    const dw = new Array(this.weights.length).fill(0);
    let error = 0;
    for (const { x, t } of examples) {
      const y = this.output(x);
      error += 0.5 * (t - y) ** 2;
      for (let i = 0; i < x.length; i++) dw[i] += epsilon * (t - y) * x[i];
    }
    for (let i = 0; i < dw.length; i++) this.weights[i] += dw[i];
    return error;
  }
}

/** A sigmoid (logistic) neuron: z = sum_i w_i x_i + b, y = 1 / (1 + e^-z). */
export class SigmoidNeuron {
  readonly weights: number[];
  bias = 0;
  constructor(inputs: number) {
    this.weights = new Array(inputs).fill(0);
  }

  logit(x: readonly number[]): number {
    let z = this.bias;
    for (let i = 0; i < x.length; i++) z += this.weights[i] * x[i];
    return z;
  }

  output(x: readonly number[]): number {
    return sigmoid(this.logit(x));
  }

  /**
   * The article's update for a sigmoid neuron under squared error:
   * dw_i = epsilon * sum x_i y (1 - y) (t - y), using dy/dz = y (1 - y).
   */
  update(examples: ReadonlyArray<{ x: readonly number[]; t: number }>, epsilon: number): number {
    const dw = new Array(this.weights.length).fill(0);
    let db = 0;
    let error = 0;
    for (const { x, t } of examples) {
      const y = this.output(x);
      error += 0.5 * (t - y) ** 2;
      const delta = y * (1 - y) * (t - y);
      for (let i = 0; i < x.length; i++) dw[i] += epsilon * x[i] * delta;
      db += epsilon * delta;
    }
    for (let i = 0; i < dw.length; i++) this.weights[i] += dw[i];
    this.bias += db;
    return error;
  }
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** dy/dz of the sigmoid, in terms of its output: y (1 - y). */
export function sigmoidDerivative(y: number): number {
  return y * (1 - y);
}
