import { Rng } from '../nn/rng.ts';
import { CLASSES, PIXELS, type Example } from './example.ts';

/** Bytes before one class's pixels in `classBytes`: seen (u32) and count (u16). */
const CLASS_HEAD = 6;

/**
 * A small class-balanced sample of the data a model has learned from, mixed into every online
 * training round so that the model does not forget the rest while it learns the new examples
 * (experience replay). Each class keeps a reservoir sample (Vitter's algorithm R) of at most
 * `perClass` examples, so old and new data stay represented in proportion to what was seen.
 *
 * @example
 * const replay = ReplayBuffer.seed(mnistSample, 100);
 * replay.add(example, rng);
 * const mix = replay.sample(24, rng);
 */
export class ReplayBuffer {
  private readonly classes: Example[][] = Array.from({ length: CLASSES }, () => []);
  private readonly seen = new Array<number>(CLASSES).fill(0);

  constructor(readonly perClass: number) {
    if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`replay buffer needs a positive size per class, got ${perClass}`);
  }

  static seed(examples: readonly Example[], perClass: number, seed = 1): ReplayBuffer {
    const b = new ReplayBuffer(perClass);
    const rng = new Rng(seed);
    for (const e of examples) b.add(e, rng);
    return b;
  }

  get size(): number {
    return this.classes.reduce((a, c) => a + c.length, 0);
  }

  /** How many examples each class holds. */
  classSizes(): number[] {
    return this.classes.map((c) => c.length);
  }

  /** Offers an example to its class's reservoir. */
  add(e: Example, rng: Rng): void {
    if (e.pixels.length !== PIXELS || !(e.label >= 0 && e.label < CLASSES)) throw new Error('replay buffer takes 784-pixel examples with labels 0-9');
    const c = this.classes[e.label];
    const n = ++this.seen[e.label];
    if (c.length < this.perClass) c.push(e);
    else {
      const j = rng.int(n);
      if (j < this.perClass) c[j] = e;
    }
  }

  /** k examples, spread as evenly over the classes as they allow, drawn at random within each. */
  sample(k: number, rng: Rng): Example[] {
    const out: Example[] = [];
    const live = this.classes.map((c, i) => i).filter((i) => this.classes[i].length);
    if (!live.length) return out;
    const start = rng.int(live.length);
    for (let i = 0; out.length < k; i++) {
      const c = this.classes[live[(start + i) % live.length]];
      out.push(c[rng.int(c.length)]);
    }
    return out;
  }

  /** Compact bytes for durable storage: [perClass u32][seen x10 u32][count x10 u16] then (label, pixels) records. */
  serialize(): Uint8Array {
    const head = 4 + CLASSES * 4 + CLASSES * 2;
    const out = new Uint8Array(head + this.size * (1 + PIXELS));
    const view = new DataView(out.buffer);
    view.setUint32(0, this.perClass, true);
    for (let c = 0; c < CLASSES; c++) {
      view.setUint32(4 + 4 * c, this.seen[c], true);
      view.setUint16(4 + 4 * CLASSES + 2 * c, this.classes[c].length, true);
    }
    let o = head;
    for (const c of this.classes) {
      for (const e of c) {
        out[o++] = e.label;
        out.set(e.pixels, o);
        o += PIXELS;
      }
    }
    return out;
  }

  /**
   * One class's reservoir as bytes, so that durable storage can keep one key per class and rewrite
   * only the classes a round touched: [seen u32][count u16] then count x 784 pixels.
   */
  classBytes(c: number): Uint8Array {
    if (!(Number.isInteger(c) && c >= 0 && c < CLASSES)) throw new Error(`class ${c} is not one of 0..${CLASSES - 1}`);
    const examples = this.classes[c];
    const out = new Uint8Array(CLASS_HEAD + examples.length * PIXELS);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.seen[c], true);
    view.setUint16(4, examples.length, true);
    examples.forEach((e, i) => out.set(e.pixels, CLASS_HEAD + i * PIXELS));
    return out;
  }

  /** Rebuilds a buffer from `classBytes` of each class (a missing class starts empty). */
  static fromClassBytes(perClass: number, parts: ReadonlyArray<Uint8Array | undefined>): ReplayBuffer {
    const b = new ReplayBuffer(perClass);
    for (let c = 0; c < CLASSES; c++) {
      const bytes = parts[c];
      if (!bytes) continue;
      if (bytes.length < CLASS_HEAD) throw new Error(`replay buffer bytes of class ${c} are truncated`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const count = view.getUint16(4, true);
      if (bytes.length !== CLASS_HEAD + count * PIXELS || count > perClass) throw new Error(`replay buffer bytes of class ${c} are corrupt`);
      b.seen[c] = view.getUint32(0, true);
      for (let i = 0; i < count; i++) b.classes[c].push({ label: c, pixels: bytes.slice(CLASS_HEAD + i * PIXELS, CLASS_HEAD + (i + 1) * PIXELS) });
    }
    return b;
  }

  static deserialize(bytes: Uint8Array): ReplayBuffer {
    const head = 4 + CLASSES * 4 + CLASSES * 2;
    if (bytes.length < head) throw new Error('replay buffer bytes are truncated');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const b = new ReplayBuffer(view.getUint32(0, true));
    let o = head;
    for (let c = 0; c < CLASSES; c++) {
      b.seen[c] = view.getUint32(4 + 4 * c, true);
      const count = view.getUint16(4 + 4 * CLASSES + 2 * c, true);
      for (let i = 0; i < count; i++) {
        if (o + 1 + PIXELS > bytes.length || bytes[o] !== c) throw new Error('replay buffer bytes are corrupt');
        b.classes[c].push({ label: c, pixels: bytes.slice(o + 1, o + 1 + PIXELS) });
        o += 1 + PIXELS;
      }
    }
    return b;
  }
}
