/**
 * The rate-limit key of a client address (CF-Connecting-IP): an IPv4 address as it is; an IPv6
 * address by its /64, one subnet (RFC 4291, 2.5.4), the least a subscriber is given, every address
 * of which is theirs to use (2^64 keys otherwise); an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its
 * IPv4 address. IPv6 is parsed in full ("::", embedded IPv4, any case, a zone or brackets), so that
 * every spelling of one block gives one key. Anything else is kept as given.
 *
 * @example
 * clientKey('2001:DB8:0:1::7');       // '2001:db8:0:1::/64'
 * clientKey('::ffff:203.0.113.9');    // '203.0.113.9'
 * clientKey('203.0.113.9');           // '203.0.113.9'
 */
export function clientKey(address: string | undefined): string {
  const raw = (address ?? '').trim();
  if (!raw) return 'unknown';
  const v4 = ipv4(raw);
  if (v4) return v4.join('.');
  const groups = ipv6(raw.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (!groups) return raw.slice(0, 64);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** Four decimal octets, or null. */
function ipv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291, 2.2), or null. */
function ipv6(s: string): number[] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  // An embedded IPv4 address may only end the address (RFC 4291, 2.2, form 3).
  const parse = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, p] of pieces.entries()) {
      if (last && i === pieces.length - 1 && p.includes('.')) {
        const v4 = ipv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parse(halves[1], true) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const zeros = 8 - head.length - tail.length;
  return zeros >= 1 ? [...head, ...new Array(zeros).fill(0), ...tail] : null;
}
