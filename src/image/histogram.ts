/**
 * Fixed-bin histograms over a value range, with the statistics the digit finder reads from them:
 * quantiles and Otsu's threshold. Bins keep every statistic O(pixels + bins), with no sorting.
 */
export class Histogram {
  readonly counts: Float64Array;
  total = 0;

  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly bins = 1024,
  ) {
    this.counts = new Float64Array(bins);
  }

  /** The bin a value falls in, clamped to the range. */
  bin(v: number): number {
    const b = Math.floor(((v - this.lo) / (this.hi - this.lo)) * this.bins);
    return b < 0 ? 0 : b >= this.bins ? this.bins - 1 : b;
  }

  /** The value at a bin's centre. */
  value(bin: number): number {
    return this.lo + ((bin + 0.5) / this.bins) * (this.hi - this.lo);
  }

  add(v: number, weight = 1): void {
    this.counts[this.bin(v)] += weight;
    this.total += weight;
  }

  addAll(values: ArrayLike<number>): this {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
    return this;
  }

  /**
   * The q-quantile (0..1), to the resolution of a bin.
   *
   * @example
   * new Histogram(0, 1).addAll([0.1, 0.2, 0.9]).quantile(0.5); // about 0.2
   */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const target = q * this.total;
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      seen += this.counts[b];
      if (seen > target || (seen >= target && seen === this.total)) return this.value(b);
    }
    return this.value(this.bins - 1);
  }

  /**
   * Otsu's threshold (1979): the cut that maximises the between-class variance. Values above the
   * returned number, or equal to it, form the upper class. NaN when everything falls in one bin.
   */
  otsu(): number {
    let sumAll = 0;
    for (let b = 0; b < this.bins; b++) sumAll += b * this.counts[b];
    let w0 = 0;
    let sum0 = 0;
    let best = -1;
    let bestBin = -1;
    for (let b = 0; b < this.bins - 1; b++) {
      w0 += this.counts[b];
      sum0 += b * this.counts[b];
      const w1 = this.total - w0;
      if (w0 === 0 || w1 === 0) continue;
      const d = sum0 / w0 - (sumAll - sum0) / w1;
      const between = w0 * w1 * d * d;
      if (between > best) {
        best = between;
        bestBin = b;
      }
    }
    return bestBin < 0 ? NaN : this.lo + ((bestBin + 1) / this.bins) * (this.hi - this.lo);
  }
}
