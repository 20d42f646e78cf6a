import { loadavg } from 'node:os';
import { median } from '../../src/util/stats.ts';

export { median };

/**
 * A section of `npm run bench`: a named measurement that prints its own table and returns its
 * figures (what `--json` writes). Adding one is one file exporting a BenchSection and one line in
 * ./sections.ts.
 */
export interface BenchSection {
  /** What `npm run bench -- <name>` selects. */
  name: string;
  description: string;
  /** Prints the section's lines through ctx.log; resolves to its figures (JSON-serialisable), if any. */
  run(ctx: BenchContext): Promise<unknown>;
}

export interface BenchContext {
  /** Timed repeats per contender (medians and spreads are quoted). */
  repeats: number;
  /** Shorter runs for a smoke test (fewer batches), not for quoting. */
  quick: boolean;
  log(line?: string): void;
}

/** The median and spread of repeated measurements. */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Quartiles (linear interpolation between order statistics). */
  q1: number;
  q3: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => {
    if (!s.length) return NaN;
    const i = q * (s.length - 1);
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { n: s.length, median: s.length ? median(s) : NaN, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, q1: at(0.25), q3: at(0.75) };
}

/** "min..max" of a spread, formatted by `f`. */
export function range(s: Spread, f: (n: number) => string = int): string {
  return s.n ? `${f(s.min)}..${f(s.max)}` : '-';
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a, b, c];
}

/** "0.52 0.61 0.70" */
export function loadText(l: readonly number[] = loadAverage()): string {
  return l.map((v) => v.toFixed(2)).join(' ');
}

/** Right-aligned columns under a header, for the terminal. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** 12,345 */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

export function fixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}
