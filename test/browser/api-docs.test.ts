import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from './browser.ts';

// The API docs page (page/public/api, Swagger UI served by the Worker as static assets) rendering
// /openapi.json in Chromium under its own Content-Security-Policy: every route of the document
// shown, nothing fetched from another origin, no policy violation.

const baseUrl = inject('baseUrl');

describe('the API docs page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('/api/ has the page\'s policy without Trusted Types: its own scripts, styles and origin only, no framing', async () => {
    const res = await fetch(`${baseUrl}/api/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp.split(',')).toHaveLength(1); // the page's policy is detached, not added to
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(csp).not.toContain('trusted-types');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // The drawing page keeps its stricter policy.
    expect((await fetch(baseUrl)).headers.get('content-security-policy')).toContain("require-trusted-types-for 'script'");
  });

  it('renders every path of /openapi.json, from its own origin only, without a policy violation', async () => {
    const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>>; components: { schemas: object } };
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    const origins = new Set<string>();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    // Chromium reports some violations (a blocked style attribute) only as this event.
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
    });
    try {
      await page.goto(`${baseUrl}/api/`);
      await page.waitForSelector('.opblock', { timeout: 60_000 });
      const shown = await page.$$eval('.opblock', (blocks) =>
        blocks.map((b) => `${b.querySelector('.opblock-summary-method')?.textContent?.toLowerCase()} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
      );
      const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
      expect(expected.length).toBeGreaterThan(15);
      expect(shown.sort()).toEqual(expected.sort());
      // Opened, an operation's parameters, bodies and answers render under the policy too (the
      // schemas below are open from the start).
      await page.click('.opblock-summary-control >> nth=0');
      await page.waitForSelector('.responses-table');
      expect(await page.locator('section.models [data-json-schema-level="0"]').count()).toBe(Object.keys(doc.components.schemas).length);
      expect([...origins].filter((o) => o !== baseUrl && o !== 'null' && !o.startsWith('data:'))).toEqual([]);
      expect(problems).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
