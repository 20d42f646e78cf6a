/**
 * Classification metrics from host-side outputs: the confusion matrix (rows = true class,
 * columns = predicted class), per-class accuracy, and the most confidently wrong examples.
 */
export interface Confusion {
  classes: number;
  /** matrix[true][predicted] */
  matrix: number[][];
  accuracy: number;
  perClassAccuracy: number[];
}

/**
 * The index of the largest of `length` values from `start` (the first, on ties): a row's predicted class.
 *
 * @example
 * argmax([0.1, 0.7, 0.2]); // 1
 */
export function argmax(a: ArrayLike<number>, start = 0, length = a.length - start): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (a[start + j] > a[start + best]) best = j;
  return best;
}

/** Confusion matrix of outputs (n x classes, probabilities or scores) against integer labels. */
export function confusion(outputs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Confusion {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = argmax(outputs, i * classes, classes);
    matrix[labels[i]][p]++;
    if (p === labels[i]) correct++;
  }
  const perClassAccuracy = matrix.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[c] / total : NaN;
  });
  return { classes, matrix, accuracy: labels.length ? correct / labels.length : NaN, perClassAccuracy };
}

/** The k misclassified examples the network was most sure about. */
export function confidentMistakes(
  outputs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, k: number,
): Array<{ index: number; label: number; predicted: number; confidence: number }> {
  const wrong = [];
  for (let i = 0; i < labels.length; i++) {
    const p = argmax(outputs, i * classes, classes);
    if (p !== labels[i]) wrong.push({ index: i, label: labels[i], predicted: p, confidence: outputs[i * classes + p] });
  }
  return wrong.sort((a, b) => b.confidence - a.confidence).slice(0, k);
}
