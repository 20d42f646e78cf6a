/**
 * A section of `npm run bench`: a named measurement that prints its own table. Adding one is one
 * file exporting a BenchSection and one line in ./sections.ts.
 */
export interface BenchSection {
  /** What `npm run bench -- <name>` selects. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

export interface BenchContext {
  /** Timed repeats per contender (medians are quoted). */
  repeats: number;
  /** Shorter runs for a smoke test (fewer batches), not for quoting. */
  quick: boolean;
  log(line?: string): void;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
