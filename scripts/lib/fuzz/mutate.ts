/**
 * Seeded mutations of bytes and text for the fuzzers (test/worker/fuzz.test.ts, scripts/soak.ts,
 * the ONNX and IDX fuzz tests). Every function takes its randomness from the `Random` given, so a
 * case is reproduced from its seed alone. Web-standard APIs only: this runs in Node and in workerd.
 */
import { concat, fixCrcs } from '../png-chunks.ts';

/** A uniform number in [0, 1), from a seeded generator (digit-synth.ts `rng`). */
export type Random = () => number;

/** An integer in [0, n). */
export const int = (random: Random, n: number): number => Math.floor(random() * n);

/** One element of a non-empty list. */
export const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)];

/** One key of a weight table, with probability proportional to its weight. */
export function weighted<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  let x = random() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) if ((x -= w) < 0) return k;
  return entries[entries.length - 1][0];
}

/** Mixes a run's seed and a case's index into the seed of that case (so one case regenerates alone). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A byte mutation: what it did (for a failure report) and the new bytes. */
export interface Mutated {
  how: string;
  bytes: Uint8Array;
}

type ByteMutation = (b: Uint8Array, random: Random) => Uint8Array;

/** The byte mutations, by name: each returns new bytes and leaves its input alone. */
export const BYTE_MUTATIONS: Readonly<Record<string, ByteMutation>> = {
  truncate: (b, random) => b.slice(0, int(random, b.length)),
  'truncate to header': (b, random) => b.slice(0, int(random, Math.min(64, b.length))),
  'flip bits': (b, random) => flip(b, random, 1 + int(random, 8), 0, b.length),
  'flip header bits': (b, random) => flip(b, random, 1 + int(random, 3), 0, Math.min(200, b.length)),
  'overwrite bytes': (b, random) => {
    const out = b.slice();
    const at = int(random, b.length);
    for (let i = at; i < Math.min(b.length, at + 1 + int(random, 16)); i++) out[i] = int(random, 256);
    return out;
  },
  'interesting values': (b, random) => {
    // Boundary values where lengths and sizes live: 0, 0x7f, 0x80, 0xff, 0xffff..., at a random spot.
    const out = b.slice();
    const values = [[0], [0xff], [0x7f], [0x80], [0xff, 0xff], [0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [0x80, 0, 0, 0]];
    const v = pick(random, values);
    const at = int(random, Math.max(1, b.length - v.length));
    out.set(v.slice(0, Math.max(0, out.length - at)), at);
    return out;
  },
  'insert garbage': (b, random) => {
    const cut = int(random, b.length + 1);
    const junk = Uint8Array.from({ length: 1 + int(random, 64) }, () => int(random, 256));
    return concat(b.subarray(0, cut), junk, b.subarray(cut));
  },
  'delete range': (b, random) => {
    const at = int(random, b.length);
    const n = 1 + int(random, Math.max(1, Math.min(256, b.length - at)));
    return concat(b.subarray(0, at), b.subarray(at + n));
  },
  'duplicate range': (b, random) => {
    const at = int(random, b.length);
    const n = 1 + int(random, Math.max(1, Math.min(512, b.length - at)));
    return concat(b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n));
  },
  'swap halves': (b, random) => {
    const cut = int(random, b.length);
    return concat(b.subarray(cut), b.subarray(0, cut));
  },
};

/**
 * One random byte mutation that changes the bytes; a PNG's chunk CRCs are recomputed half of the
 * time, so that the change reaches the decoder behind the CRC check.
 *
 * @example
 * const { how, bytes } = mutateBytes(png, rng(7));
 */
export function mutateBytes(bytes: Uint8Array, random: Random): Mutated {
  for (let attempt = 0; ; attempt++) {
    const name = pick(random, Object.keys(BYTE_MUTATIONS));
    let out = BYTE_MUTATIONS[name](bytes, random);
    let how = name;
    if (isPng(bytes) && isPng(out) && random() < 0.5) {
      out = fixCrcs(out);
      how += ', CRCs fixed';
    }
    if (!sameBytes(out, bytes) || attempt > 20) return { how, bytes: out };
  }
}

/** Flips `bits` random bits in [from, to). */
export function flip(b: Uint8Array, random: Random, bits: number, from: number, to: number): Uint8Array {
  const out = b.slice();
  if (to <= from) return out;
  for (let i = 0; i < bits; i++) out[from + int(random, to - from)] ^= 1 << int(random, 8);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

// --- Text --------------------------------------------------------------------------------------

/** Characters that break naive code: NUL, controls, BOM, RTL marks, lone surrogates, emoji, non-characters. */
const TRICKY = [
  '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u00ad', '\u200b', '\u200e', '\u202e', '\u2028', '\u2029',
  '\ufeff', '\ufffd', '\uffff', '\ud800', '\udfff', '\ud83d\ude00', '\u{1f4a9}', 'é', 'ß', 'Ω', '数', '٣', '۷', '𝟕', '７',
  '"', '\\', '/', '<', '>', '&', "'", '`', '%', '%00', '%ff', '\r\n', '\n', '\t', ' ', '.', '..', '../', '${x}', '{{x}}',
];

/** A random string of `n` characters mixing ASCII, tricky code points and arbitrary BMP characters. */
export function unicodeString(random: Random, n = 1 + int(random, 24)): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const kind = random();
    if (kind < 0.4) s += String.fromCharCode(0x20 + int(random, 0x5f));
    else if (kind < 0.8) s += pick(random, TRICKY);
    else s += String.fromCharCode(int(random, 0x10000));
  }
  return s;
}

/** A random string of `n` chars in 0..255: what arbitrary bytes look like in an HTTP header value. */
export function binaryString(random: Random, n = 1 + int(random, 24)): string {
  return String.fromCharCode(...Array.from({ length: n }, () => int(random, 256)));
}

/**
 * A header value HTTP can carry (RFC 9110 field-value: visible ASCII, bytes 0x80-0xFF, spaces and
 * tabs inside), made from unicode text as a raw client would send it (its UTF-8 bytes) or from
 * arbitrary bytes. Control bytes are replaced: HTTP clients refuse to send them and servers refuse
 * them before any Worker runs.
 */
export function headerValue(random: Random, n?: number): string {
  const raw = random() < 0.5 ? utf8AsLatin1(unicodeString(random, n)) : binaryString(random, n);
  const cleaned = raw.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim();
  return cleaned || '?';
}

/** The UTF-8 bytes of `s`, one char per byte (how a server that reads headers as Latin-1 sees them). */
export function utf8AsLatin1(s: string): string {
  return String.fromCharCode(...new TextEncoder().encode(s));
}

/** A random JSON value (anything JSON.stringify writes), nested up to `depth`. */
export function jsonValue(random: Random, depth = 2): unknown {
  const kind = int(random, depth > 0 ? 9 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, [0, -0, 1, -1, 0.5, 10, 255, 1e308, -1e308, 5e-324, 2 ** 53, -(2 ** 53) - 2, 784, 0.1 + 0.2]);
    case 3:
      return (random() - 0.5) * 10 ** int(random, 12);
    case 4:
      return unicodeString(random);
    case 5:
      return pick(random, ['', 'NaN', 'Infinity', '-Infinity', '0.5', '1e999', 'true', 'null', '[]', '{}', 'digits']);
    case 6:
      return binaryString(random);
    case 7:
      return Array.from({ length: int(random, 5) }, () => jsonValue(random, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(random, 4); i > 0; i--) o[unicodeString(random, 1 + int(random, 8))] = jsonValue(random, depth - 1);
      return o;
    }
  }
}
