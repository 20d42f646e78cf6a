import * as v from 'valibot';
import { ApiError } from '../http/errors.ts';
import { PIXELS } from '../limits.ts';
import { PixelsBody } from './pixels-body.ts';

/** How many validation problems one answer names (784 bad pixels are not listed one by one). */
const ISSUES_SHOWN = 5;

/**
 * Parses the bytes of a JSON body into the model's input: 400 for bytes that are not JSON, 422 for
 * JSON that is not `{ "pixels": [784 numbers in 0..1] }` (PixelsBody, whose issues the refusal names).
 *
 * @example
 * await parsePixelsJson(new TextEncoder().encode(JSON.stringify({ pixels: new Array(784).fill(0) })));
 */
export async function parsePixelsJson(bytes: Uint8Array): Promise<Float32Array> {
  if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'the body is empty; send JSON { "pixels": [784 numbers in 0..1] }');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (e) {
    const why = e instanceof TypeError ? 'it is not valid UTF-8' : (e as Error).message;
    throw new ApiError(400, 'malformed_json', `the body is not valid JSON: ${why}`);
  }
  const pixels = plainPixels(value);
  if (pixels) return pixels;
  // A JSON array is not the body's object (valibot's objects take arrays).
  if (Array.isArray(value)) throw refusal(['body: expected an object, received Array'], 1);
  const parsed = v.safeParse(PixelsBody, value);
  if (!parsed.success) throw refusal(parsed.issues.slice(0, ISSUES_SHOWN).map((i) => `${pathOf(i.path)}: ${i.message}`), parsed.issues.length);
  return Float32Array.from(parsed.output.pixels);
}

/** The 422 of a body that is not the pixels: the first issues, where each is, and how many more. */
function refusal(named: string[], total: number): ApiError {
  const more = total > named.length ? ` (and ${total - named.length} more)` : '';
  return new ApiError(422, 'invalid_pixels', `expected { "pixels": [${PIXELS} numbers in 0..1] }; ${named.join('; ')}${more}`);
}

/**
 * The pixels of a body PixelsBody accepts as it is, by one loop: `{ "pixels": [784 numbers in
 * 0..1] }` and no other key. Anything else is null and goes to the schema, which names what is
 * wrong. (A schema walks 784 number schemas and their checks; this loop takes microseconds.)
 */
export function plainPixels(value: unknown): Float32Array | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'pixels') return null;
  const list = (value as { pixels: unknown }).pixels;
  if (!Array.isArray(list) || list.length !== PIXELS) return null;
  const out = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const v: unknown = list[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return null;
    out[i] = v;
  }
  return out;
}

/** Where an issue is, as a reader writes it: `pixels[3]`, `pixel`, or `body` for the whole. */
function pathOf(path: v.IssuePathItem[] | undefined): string {
  if (!path?.length) return 'body';
  return path.map((p, i) => (typeof p.key === 'number' ? `[${p.key}]` : `${i ? '.' : ''}${String(p.key)}`)).join('');
}
