import { describe, expect, it } from 'vitest';
import { ImageError, imageToMnist } from '../../../src/image/index.ts';
import { codecFixture } from './fixtures.ts';
import { fixCrcs } from './png-bytes.ts';
import { drawStrokes, inkToGray, jpegGray, pngGray, rng } from '../../../scripts/lib/digit-synth.ts';

// Seeded mutations of real PNG and JPEG files through the whole entry point (decode + preprocess):
// every failure must be an ImageError with a 4xx status, never a TypeError, RangeError or a hang.
const digit = drawStrokes([[[0.3, 0.1], [0.7, 0.1], [0.4, 0.9]]], { width: 40, height: 40 }, { x: 5, y: 5, width: 30, height: 30 }, 4);
const SOURCES: Array<[string, Uint8Array]> = [
  ['digit.png', pngGray(40, 40, inkToGray(digit))],
  ['digit.jpg', jpegGray(40, 40, inkToGray(digit), 80)],
  ...['rgba8-interlaced.png', 'palette8.png', 'gray2.png', 'graya16.png', 'progressive.jpg', 'restart.jpg', 'gray.jpg', 'orientation-6.jpg'].map(
    (n): [string, Uint8Array] => [n, codecFixture(n)],
  ),
];

type Mutation = (b: Uint8Array, random: () => number) => Uint8Array;
const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, random) => b.slice(0, Math.floor(random() * b.length)),
  'truncate header': (b, random) => b.slice(0, Math.floor(random() * Math.min(64, b.length))),
  'flip bits': (b, random) => flip(b, random, 1 + Math.floor(random() * 8), 0, b.length),
  'flip header bits': (b, random) => flip(b, random, 1 + Math.floor(random() * 3), 0, Math.min(200, b.length)),
  'flip bits, fix PNG CRCs': (b, random) => (b[0] === 0x89 ? fixCrcs(flip(b, random, 1 + Math.floor(random() * 6), 33, b.length)) : flip(b, random, 3, b.length >> 1, b.length)),
  'overwrite bytes': (b, random) => {
    const out = b.slice();
    const at = Math.floor(random() * b.length);
    for (let i = at; i < Math.min(b.length, at + 1 + Math.floor(random() * 16)); i++) out[i] = Math.floor(random() * 256);
    return b[0] === 0x89 && random() < 0.5 ? fixCrcs(out) : out;
  },
  'splice garbage': (b, random) => {
    const cut = Math.floor(random() * b.length);
    const junk = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
    return Uint8Array.from([...b.subarray(0, cut), ...junk, ...b.subarray(cut)]);
  },
};

function flip(b: Uint8Array, random: () => number, bits: number, from: number, to: number): Uint8Array {
  const out = b.slice();
  for (let i = 0; i < bits; i++) out[from + Math.floor(random() * (to - from))] ^= 1 << Math.floor(random() * 8);
  return out;
}

describe('fuzzing the entry point', () => {
  it.each(Object.keys(MUTATIONS))('%s: every failure is a typed 4xx', (name) => {
    const random = rng(0x5eed + name.length);
    const outcomes = new Map<string, number>();
    for (const [source, bytes] of SOURCES) {
      for (let trial = 0; trial < 40; trial++) {
        const mutated = MUTATIONS[name](bytes, random);
        let outcome = 'ok';
        try {
          const { pixels } = imageToMnist(mutated);
          expect(pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
        } catch (e) {
          if (!(e instanceof ImageError)) throw new Error(`${source}, ${name}, trial ${trial}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
          expect([400, 413, 415, 422]).toContain(e.status);
          outcome = `${e.status} ${e.code}`;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    if (process.env.FUZZ_REPORT) console.log(name, Object.fromEntries(outcomes));
    // The mutations must reach the decoders: most fail, and not only at the first check.
    const failures = [...outcomes].filter(([k]) => k !== 'ok');
    expect(failures.length).toBeGreaterThan(0);
  });
});
