import { Rng } from '../nn/rng.ts';
import { CLASSES, PIXELS, type Example } from './example.ts';

/** Bytes before one class's pixels in `classBytes`: its count (u16). */
const CLASS_HEAD = 2;

/**
 * A model's validation share: examples held out of accepted deliveries, never trained on, that
 * the gate uses to check a candidate on the users' own data (their writing, their corrections).
 * Only examples of deliveries the gate accepted enter it, so wrong labels sent on purpose never
 * become the yardstick. Each class keeps its `perClass` most recent examples; older ones leave
 * (the caller may give them to the replay buffer: they are accepted data).
 *
 * @example
 * const share = new ValidationShare(50);
 * const leaving = share.add(held);
 * const { x, labels } = share.asSet();
 */
export class ValidationShare {
  private readonly classes: Example[][] = Array.from({ length: CLASSES }, () => []);

  constructor(readonly perClass: number) {
    if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`a validation share needs a positive size per class, got ${perClass}`);
  }

  get size(): number {
    return this.classes.reduce((a, c) => a + c.length, 0);
  }

  classSizes(): number[] {
    return this.classes.map((c) => c.length);
  }

  /** Adds held-out examples of an accepted delivery, newest last; returns the oldest ones pushed out. */
  add(examples: readonly Example[]): Example[] {
    const out: Example[] = [];
    for (const e of examples) {
      if (e.pixels.length !== PIXELS || !(e.label >= 0 && e.label < CLASSES)) throw new Error('a validation share takes 784-pixel examples with labels 0-9');
      const c = this.classes[e.label];
      c.push(e);
      if (c.length > this.perClass) out.push(c.shift()!);
    }
    return out;
  }

  /** The share as a network input (n x 784 in [0, 1]) and its labels, class by class. */
  asSet(): { x: Float32Array; labels: Uint8Array } {
    const all = this.classes.flat();
    const x = new Float32Array(all.length * PIXELS);
    const labels = new Uint8Array(all.length);
    all.forEach((e, i) => {
      for (let j = 0; j < PIXELS; j++) x[i * PIXELS + j] = e.pixels[j] / 255;
      labels[i] = e.label;
    });
    return { x, labels };
  }

  /** One class as bytes, for durable storage one key per class: [count u16] then count x 784 pixels. */
  classBytes(c: number): Uint8Array {
    if (!(Number.isInteger(c) && c >= 0 && c < CLASSES)) throw new Error(`class ${c} is not one of 0..${CLASSES - 1}`);
    const examples = this.classes[c];
    const out = new Uint8Array(CLASS_HEAD + examples.length * PIXELS);
    new DataView(out.buffer).setUint16(0, examples.length, true);
    examples.forEach((e, i) => out.set(e.pixels, CLASS_HEAD + i * PIXELS));
    return out;
  }

  /** Rebuilds a share from `classBytes` of each class (a missing class starts empty). */
  static fromClassBytes(perClass: number, parts: ReadonlyArray<Uint8Array | undefined>): ValidationShare {
    const share = new ValidationShare(perClass);
    for (let c = 0; c < CLASSES; c++) {
      const bytes = parts[c];
      if (!bytes) continue;
      if (bytes.length < CLASS_HEAD) throw new Error(`validation share bytes of class ${c} are truncated`);
      const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(0, true);
      if (bytes.length !== CLASS_HEAD + count * PIXELS) throw new Error(`validation share bytes of class ${c} are corrupt`);
      // A smaller perClass than the bytes were written with keeps the most recent.
      for (let i = Math.max(0, count - perClass); i < count; i++) {
        share.classes[c].push({ label: c, pixels: bytes.slice(CLASS_HEAD + i * PIXELS, CLASS_HEAD + (i + 1) * PIXELS) });
      }
    }
    return share;
  }
}

/**
 * Splits a delivery's examples into those to train on and those to hold out for the validation
 * share: each example is held out with probability `share`, drawn from `seed` (a hash of the
 * delivery id), so that a retried or bisected delivery is split the same way every time.
 *
 * @example
 * const { train, held } = holdOut(examples, 0.1, seedOf(delivery));
 */
export function holdOut(examples: readonly Example[], share: number, seed: number): { train: Example[]; held: Example[] } {
  if (!(share >= 0 && share < 1)) throw new Error(`the held-out share must be in [0, 1), got ${share}`);
  const rng = new Rng(seed);
  const train: Example[] = [];
  const held: Example[] = [];
  for (const e of examples) (rng.uniform() < share ? held : train).push(e);
  return { train, held };
}
