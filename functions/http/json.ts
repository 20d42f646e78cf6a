import type { z } from '@hono/zod-openapi';
import { ApiError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The bytes of a JSON body as a value: 400 `empty_body` or `malformed_json` (naming what is wrong)
 * otherwise. `expected` says what to send instead.
 *
 * @example
 * const value = parseJson(bytes, '{ "pixels": [784 numbers], "label": 0-9 }');
 */
export function parseJson(bytes: Uint8Array, expected: string): unknown {
  if (bytes.length === 0) throw new ApiError(400, 'empty_body', `the body is empty; send JSON ${expected}`);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (e) {
    const why = e instanceof TypeError ? 'it is not valid UTF-8' : (e as Error).message;
    throw new ApiError(400, 'malformed_json', `the body is not valid JSON: ${why}`);
  }
}

/** How many validation problems one answer names. */
const ISSUES_SHOWN = 5;

/**
 * zod's issues as one line, each prefixed by its path (`examples[3].label: Too big: ...`), at most
 * five of them (784 bad pixels are not listed one by one).
 *
 * @example
 * throw new ApiError(422, 'invalid_body', formatIssues(result.error.issues));
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string {
  const named = issues.slice(0, ISSUES_SHOWN).map((i) => `${pathOf([...prefix, ...i.path])}: ${i.message}`);
  const more = issues.length > ISSUES_SHOWN ? ` (and ${issues.length - ISSUES_SHOWN} more)` : '';
  return named.join('; ') + more;
}

function pathOf(path: PropertyKey[]): string {
  if (!path.length) return 'body';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}
