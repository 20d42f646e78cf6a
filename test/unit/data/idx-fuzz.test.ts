import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdxError, labelledImages, parseIdx } from '../../../src/data/idx.ts';
import { rng } from '../../../scripts/lib/digit-synth.ts';
import { int, mutateBytes, pick, type Random } from '../../../scripts/lib/fuzz/mutate.ts';
import { mnistDir } from '../../../scripts/lib/mnist.ts';

// The IDX reader fed seeded mutations of real MNIST files (the first 60 test digits and their
// labels, re-headed): every call either reads a consistent array or throws IdxError, quickly and
// without allocating more than the file holds. A failure names its trial; `rng(SEED + trial)` rebuilds it.

const SEED = 0x1d8;
const TRIALS = 3000;
const N = 60;

const real = (f: string) => new Uint8Array(readFileSync(join(mnistDir(), f)));
const images = (() => {
  const all = real('t10k-images-idx3-ubyte');
  const out = all.slice(0, 16 + N * 784);
  new DataView(out.buffer).setUint32(4, N);
  return out;
})();
const labels = (() => {
  const all = real('t10k-labels-idx1-ubyte');
  const out = all.slice(0, 8 + N);
  new DataView(out.buffer).setUint32(4, N);
  return out;
})();

/** Mutations that know the header: magic, type, dimension count, each dimension, the body's length. */
const HEADER_MUTATIONS: Record<string, (b: Uint8Array, random: Random) => Uint8Array> = {
  magic: (b, random) => set(b, int(random, 2), pick(random, [1, 0x80, 0xff])),
  'value type': (b, random) => set(b, 2, pick(random, [0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff])),
  'dimension count': (b, random) => set(b, 3, pick(random, [0, 1, 2, 3, 4, 5, 255])),
  dimension: (b, random) => {
    const out = b.slice();
    const dims = Math.min(out[3], Math.floor((out.length - 4) / 4));
    if (dims < 1) return out;
    const d = int(random, dims);
    const was = new DataView(out.buffer).getUint32(4 + 4 * d);
    new DataView(out.buffer).setUint32(4 + 4 * d, pick(random, [0, 1, was - 1, was + 1, was * 2, 2 ** 31, 2 ** 32 - 1, 65536, int(random, 2 ** 32)]) >>> 0);
    return out;
  },
  'body cut': (b, random) => b.slice(0, b.length - 1 - int(random, Math.min(2000, b.length - 1))),
  'body padded': (b, random) => Uint8Array.from([...b, ...new Uint8Array(1 + int(random, 100))]),
  'label over 9': (b, random) => (b[3] === 1 ? set(b, 8 + int(random, N), 10 + int(random, 246)) : b),
};

function set(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = b.slice();
  if (at < out.length) out[at] = v;
  return out;
}

function mutate(b: Uint8Array, random: Random): { how: string; bytes: Uint8Array } {
  if (random() < 0.5) return mutateBytes(b, random);
  const how = pick(random, Object.keys(HEADER_MUTATIONS));
  let bytes = HEADER_MUTATIONS[how](b, random);
  if (random() < 0.3) bytes = mutateBytes(bytes, random).bytes; // and a byte mutation on top
  return { how, bytes };
}

describe('fuzzing the IDX reader', () => {
  it(`${TRIALS} mutated MNIST image and label files: a consistent array or an IdxError, never anything else`, () => {
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    let slowest = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const random = rng(SEED + trial);
      const which = random() < 0.5 ? 'images' : 'labels';
      const { how, bytes } = mutate(which === 'images' ? images : labels, random);
      const other = random() < 0.5 ? (which === 'images' ? labels : images) : mutate(which === 'images' ? labels : images, random).bytes;
      const t0 = performance.now();
      let outcome = 'read';
      try {
        const a = parseIdx(bytes);
        const count = a.shape.reduce((x, y) => x * y, 1);
        if (a.data.length !== count || a.shape.some((d) => !Number.isInteger(d) || d < 1)) failures.push(`trial ${trial} (${which}, ${how}): shape [${a.shape}] but ${a.data.length} values`);
        const [im, lb] = which === 'images' ? [bytes, other] : [other, bytes];
        const set = labelledImages(im, lb);
        if (set.pixels.length !== set.n * set.width * set.height || set.labels.length !== set.n) failures.push(`trial ${trial}: inconsistent set`);
        if (!set.labels.every((l) => l < 10) || !set.pixels.every((p) => p >= 0 && p <= 1)) failures.push(`trial ${trial}: labels or pixels out of range`);
      } catch (e) {
        if (!(e instanceof IdxError)) failures.push(`trial ${trial} (${which}, ${how}): ${(e as Error).name}: ${(e as Error).message}`);
        outcome = 'IdxError';
      }
      slowest = Math.max(slowest, performance.now() - t0);
      outcomes.set(`${how}: ${outcome}`, (outcomes.get(`${how}: ${outcome}`) ?? 0) + 1);
    }
    expect(failures).toEqual([]);
    // The mutations reach past the first check: some files still read, most are refused, for many reasons.
    expect([...outcomes.keys()].filter((k) => k.endsWith('IdxError')).length).toBeGreaterThan(8);
    expect([...outcomes.keys()].some((k) => k.endsWith('read'))).toBe(true);
    // No hang: a file of 47 KB is read or refused in well under a second, even on a loaded machine.
    expect(slowest).toBeLessThan(1000);
  });

  it('a header claiming 2^32 - 1 values per dimension is refused without allocating them', () => {
    const bomb = Uint8Array.from([0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 2, 3]);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => parseIdx(bomb)).toThrow(IdxError);
    expect(() => labelledImages(bomb, labels)).toThrow(/more than/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });
});
