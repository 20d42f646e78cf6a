/**
 * Learning-rate schedules: the factor applied to the base rate at the start of each epoch
 * (0-based). 'plateau' is adaptive: it cuts the rate when the validation loss stops improving.
 */
export type Schedule =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; factor: number }
  | { kind: 'exponential'; gamma: number }
  | { kind: 'cosine'; epochs: number; floor?: number }
  | { kind: 'plateau'; patience: number; factor: number; floor?: number };

/** Tracks one schedule over a run: `at(epoch)` gives the rate, `observe(loss)` is called once per finished epoch. */
export class LearningRate {
  private plateauFactor = 1;
  private best = Infinity;
  private waited = 0;

  constructor(
    readonly base: number,
    readonly schedule: Schedule = { kind: 'constant' },
  ) {
    if (!(base > 0) || !Number.isFinite(base)) throw new Error(`learning rate must be a positive number, got ${base}`);
  }

  /** The rate for `epoch`. */
  at(epoch: number): number {
    const s = this.schedule;
    switch (s.kind) {
      case 'constant':
        return this.base;
      case 'step':
        return this.base * Math.pow(s.factor, Math.floor(epoch / s.every));
      case 'exponential':
        return this.base * Math.pow(s.gamma, epoch);
      case 'cosine': {
        const floor = s.floor ?? 0;
        const t = Math.min(1, epoch / Math.max(1, s.epochs));
        return this.base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
      }
      case 'plateau':
        return Math.max(this.base * this.plateauFactor, this.base * (s.floor ?? 0));
    }
  }

  /** Feeds the epoch's validation (or training) loss to adaptive schedules. */
  observe(loss: number): void {
    if (this.schedule.kind !== 'plateau') return;
    if (loss < this.best - 1e-6) {
      this.best = loss;
      this.waited = 0;
    } else if (++this.waited > this.schedule.patience) {
      this.plateauFactor *= this.schedule.factor;
      this.waited = 0;
    }
  }
}

/** Parses the CLI form: constant | step:EVERY:FACTOR | exp:GAMMA | cosine[:FLOOR] | plateau:PATIENCE:FACTOR */
export function parseSchedule(text: string, epochs: number): Schedule {
  const [kind, ...args] = text.split(':');
  const nums = args.map(Number);
  const bad = () => new Error(`bad schedule '${text}' (constant | step:EVERY:FACTOR | exp:GAMMA | cosine[:FLOOR] | plateau:PATIENCE:FACTOR)`);
  if (nums.some((v) => !Number.isFinite(v))) throw bad();
  switch (kind) {
    case 'constant':
      return { kind: 'constant' };
    case 'step':
      if (nums.length !== 2 || nums[0] < 1) throw bad();
      return { kind: 'step', every: nums[0], factor: nums[1] };
    case 'exp':
      if (nums.length !== 1) throw bad();
      return { kind: 'exponential', gamma: nums[0] };
    case 'cosine':
      return { kind: 'cosine', epochs, floor: nums[0] ?? 0 };
    case 'plateau':
      if (nums.length !== 2) throw bad();
      return { kind: 'plateau', patience: nums[0], factor: nums[1] };
    default:
      throw bad();
  }
}
