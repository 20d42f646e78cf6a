import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientKey } from '../../../functions/feedback/client.ts';
import { configuredOrigins } from '../../../functions/feedback/origins.ts';

// Who a correction comes from, as the rate limit counts them, and which pages may send one.

describe('clientKey: the rate limit\'s key of a client address', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    [' 198.51.100.1 ', '198.51.100.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['[2001:db8:a:b::c]', '2001:db8:a:b::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:cb00:7109', '203.0.113.9'],
    ['0:0:0:0:0:ffff:203.0.113.9', '203.0.113.9'],
    [undefined, 'unknown'],
    ['', 'unknown'],
  ])('%s -> %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('one key for every address of a /64, another for the next /64', () => {
    const keys = new Set(['2001:db8:aa:bb::1', '2001:db8:aa:bb:ffff:ffff:ffff:fffe', '2001:db8:aa:bb:1234::', '2001:DB8:AA:BB:0:0:0:9'].map(clientKey));
    expect([...keys]).toEqual(['2001:db8:aa:bb::/64']);
    expect(clientKey('2001:db8:aa:bc::1')).toBe('2001:db8:aa:bc::/64');
  });

  it('keeps what is not an address as given (at most 64 characters): no two spellings of garbage collide with an address', () => {
    for (const odd of ['1:2:3:4:5:6:7:8:9', '1::2::3', '2001:db8::g', '256.1.1.1', '1.2.3', '::ffff:1.2.3.256', '1.2.3.4::']) expect(clientKey(odd)).toBe(odd);
    expect(clientKey('x'.repeat(100))).toBe('x'.repeat(64));
  });
});

describe('configuredOrigins: FEEDBACK_ORIGINS', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads origins separated by commas or spaces, as browsers spell them', () => {
    expect([...configuredOrigins(' https://digits.example, HTTPS://Staging.Digits.Example:8443/  http://localhost:8787 ')]).toEqual([
      'https://digits.example', 'https://staging.digits.example:8443', 'http://localhost:8787',
    ]);
    expect([...configuredOrigins('https://a.example:443')]).toEqual(['https://a.example']);
    expect(configuredOrigins(undefined).size).toBe(0);
    expect(configuredOrigins('').size).toBe(0);
  });

  it('leaves out, and logs by position, entries that are not origins', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect([...configuredOrigins('https://a.example/page, *, ftp://b.example, https://c.example?x=1, https://ok.example')]).toEqual(['https://ok.example']);
    expect(error.mock.calls.map((c) => String(c[0]))).toEqual([1, 2, 3, 4].map((i) => `FEEDBACK_ORIGINS: entry ${i} is not an origin (scheme://host[:port]); it is left out`));
  });
});
