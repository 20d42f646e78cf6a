import { afterEach, describe, expect, it, vi } from 'vitest';
import { constantTimeEqual } from '../../../functions/admin/auth.ts';

// The admin token's comparison (functions/admin/auth.ts): equal only for equal strings, and its work
// does not depend on where or whether they differ: both sides are always hashed (SHA-256, so a
// length difference shows nowhere) and all 32 digest bytes are compared without an early exit.
// No timing is measured here (a shared machine cannot); what the time depends on is checked instead.

afterEach(() => vi.restoreAllMocks());

describe('constantTimeEqual', () => {
  const token = 'test-admin-token-0123456789';
  it.each([
    [token, token, true],
    ['', '', true],
    ['é😀', 'é😀', true],
    [token, `${token}x`, false],
    [token, token.slice(0, -1), false],
    [token, token.toUpperCase(), false],
    [token, '', false],
    ['a', 'b', false],
    ['é', 'e\u0301', false],
  ])('%j vs %j: %s', async (a, b, equal) => {
    expect(await constantTimeEqual(a, b)).toBe(equal);
  });

  it('hashes both sides whatever they are: two SHA-256 digests per comparison, equal or not, of any lengths', async () => {
    const digest = vi.spyOn(crypto.subtle, 'digest');
    for (const [a, b] of [[token, token], [token, ''], ['x'.repeat(10_000), token], [token, `${token.slice(0, -1)}X`]]) {
      digest.mockClear();
      await constantTimeEqual(a, b);
      expect(digest).toHaveBeenCalledTimes(2);
      expect(digest.mock.calls.every(([alg]) => alg === 'SHA-256')).toBe(true);
    }
  });
});
