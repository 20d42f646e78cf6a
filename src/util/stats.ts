/**
 * The median of a sample: the middle value, or the mean of the two middle ones for an even count
 * (NaN for none). The sample is not reordered.
 *
 * @example
 * median([3, 1, 2, 10]); // 2.5
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
