/**
 * Seeded randomness for everything stochastic in training: initialisation, shuffling,
 * dropout and augmentation. The same seed gives the same run, on every runtime.
 *
 * `Rng` is xoshiro128** (Blackman & Vigna), seeded through splitmix32; it is small, fast in
 * JavaScript's 32-bit integer arithmetic, and passes BigCrush.
 * `hash32` is a stateless counter-based generator (PCG's output hash) so that a dropout mask can
 * be derived from (seed, step, index) alone: the CPU and the WebGPU backend draw the same mask.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform();      // in [0, 1)
 * rng.normal(0, 0.1); // Gaussian
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Gaussian with the given mean and standard deviation (Box-Muller, both values used). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `a` in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A fresh 32-bit seed for a sub-generator (e.g. one per dropout layer). */
  fork(): number {
    return this.nextU32();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** PCG-RXS-M-XS output hash of a 32-bit value: a stateless, well-mixed 32-bit integer. */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * Stateless 32-bit draw for element `index` of draw `key`. Compared as integers (never as
 * floats) so that every backend makes the same keep/drop decision.
 */
export function hashU32(key: number, index: number): number {
  return pcgHash((index ^ pcgHash(key)) >>> 0);
}
