import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXED_SET_FILES, FIXED_SETS_PATH } from '../../functions/trainer/fixed-set-files.ts';
import { launchChromium } from './browser.ts';
import { openPage } from './page-helpers.ts';

// The page's security headers as wrangler dev serves them (page/public/_headers), the API's CORS
// as it was, and Chromium enforcing the policy: no inline script runs, no site may frame the page.

const baseUrl = inject('baseUrl');

/** A Content-Security-Policy header as a map from directive to its sources. */
function parseCsp(header: string | null): Map<string, string[]> {
  const policy = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) policy.set(name.toLowerCase(), sources);
  }
  return policy;
}

describe('security headers', () => {
  for (const path of ['/', '/index.html', '/app.js', '/app.css']) {
    it(`${path}: CSP without inline script, nosniff, no referrer, no framing`, async () => {
      const res = await fetch(`${baseUrl}${path}`);
      expect(res.status).toBe(200);
      const csp = parseCsp(res.headers.get('content-security-policy'));
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'"]);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect(csp.get('object-src') ?? csp.get('default-src')).toEqual(["'none'"]);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    });
  }

  it('_headers itself is not served', async () => {
    const res = await fetch(`${baseUrl}/_headers`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('Content-Security-Policy');
  });

  it('the trainer\'s fixed sets, among the assets for the Worker to read, are not served: the Worker answers 404', async () => {
    for (const file of FIXED_SET_FILES) {
      const res = await fetch(`${baseUrl}${FIXED_SETS_PATH}${file}`);
      expect(res.status, file).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await res.body?.cancel();
    }
  });

  it('the HTML has no inline script, event handler or style attribute', async () => {
    const html = await (await fetch(baseUrl)).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBe(1);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/app\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/<style\b/i);
  });

  it('the API keeps its CORS and answers with nosniff', async () => {
    const res = await fetch(`${baseUrl}/v1/models`, { headers: { origin: 'https://example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const preflight = await fetch(`${baseUrl}/v1/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('Chromium enforces the policy', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the page runs with no violation, and an injected inline script does not run', async () => {
    const { context, page, problems } = await openPage(browser, baseUrl);
    expect(problems).toEqual([]);
    const ran = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const w = window as unknown as { injected?: boolean };
      try {
        // What an HTML injection would do: Trusted Types refuse the assignment, and the CSP the run.
        const div = document.createElement('div');
        div.innerHTML = '<img src="x" onerror="window.injected = true">';
        document.body.append(div);
      } catch {
        // refused by Trusted Types
      }
      const s = document.createElement('script');
      s.append(document.createTextNode('window.injected = true'));
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 200));
      return { injected: w.injected === true, violations };
    });
    expect(ran.injected).toBe(false);
    expect(ran.violations.length).toBeGreaterThan(0);
    await context.close();
  });

  it('no page can frame it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => m.text().includes("frame-ancestors 'none'") && refused.push(m.text()));
    await page.setContent(`<iframe src="${baseUrl}/" title="framed"></iframe>`);
    await page.waitForFunction(() => document.querySelector('iframe') !== null);
    await expect.poll(() => refused.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    const text = await framed?.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    expect(text ?? '').not.toContain('Draw a digit');
    await context.close();
  });
});
