import type { Bindings } from '../context.ts';

/**
 * Whether a browser page of `origin` may send corrections: the Worker's own origin (the page it
 * serves, `self`) always, and the origins listed in FEEDBACK_ORIGINS (comma- or space-separated,
 * e.g. "https://digits.example, https://staging.digits.example"). Anything else, "null" (a sandboxed
 * frame, a file) included, may not: otherwise any website could make its visitors' browsers send
 * corrections, each from the visitor's own address and rate-limit bucket. A request without an
 * Origin header is no browser's cross-origin request and is not judged here.
 *
 * @example
 * feedbackOriginAllowed('https://evil.example', 'https://nutshell.example', env); // false
 */
export function feedbackOriginAllowed(origin: string, self: string, env: Bindings | undefined): boolean {
  return origin === self || configuredOrigins(env?.FEEDBACK_ORIGINS).has(origin);
}

/**
 * FEEDBACK_ORIGINS as a set of origins (scheme://host[:port], as browsers send them). An entry that
 * is not an origin (a path, a typo) is logged, by position, and left out: it can only narrow the list.
 *
 * @example
 * configuredOrigins('https://a.example, https://b.example:8443'); // Set { 'https://a.example', 'https://b.example:8443' }
 */
export function configuredOrigins(value: string | undefined): Set<string> {
  const origins = new Set<string>();
  for (const [i, entry] of (value ?? '').split(/[\s,]+/).filter(Boolean).entries()) {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      // not a URL
    }
    const bare = url && (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (bare) origins.add(url!.origin);
    else console.error(`FEEDBACK_ORIGINS: entry ${i + 1} is not an origin (scheme://host[:port]); it is left out`);
  }
  return origins;
}
