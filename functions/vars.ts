/**
 * A numeric var of wrangler.toml ([vars]) read with its default: unset or empty gives the default;
 * a value that is not a number within [min, max] is logged and the default used (a typo must not
 * take the Worker down).
 *
 * @example
 * numberVar(env.FEEDBACK_BATCH_SIZE, 'FEEDBACK_BATCH_SIZE', 20, { min: 1 });
 */
export function numberVar(value: string | undefined, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (Number.isFinite(n) && n >= (range.min ?? 0) && n <= (range.max ?? Infinity)) return n;
  console.error(`${name} is '${value}', not a number${range.min !== undefined ? ` of at least ${range.min}` : ''}; using ${fallback}`);
  return fallback;
}
