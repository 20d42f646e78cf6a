import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../page/src/api.ts';

// Retry-After (RFC 9110 section 10.2.3) as the page reads it: delay-seconds or an HTTP-date.
describe('Retry-After', () => {
  const now = Date.parse('Wed, 26 Nov 2026 12:00:00 GMT');
  it('reads seconds and HTTP dates, and ignores what is neither', () => {
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 0 ', now)).toBe(0);
    expect(retryAfterSeconds('Wed, 26 Nov 2026 12:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Wed, 26 Nov 2026 11:59:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});
