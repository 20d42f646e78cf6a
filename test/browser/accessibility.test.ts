import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { announcedDigit, DIGITS, drawWithMouse, launchChromium } from './browser.ts';
import { openPage } from './page-helpers.ts';

// Accessibility basics, through Chromium's accessibility tree (Playwright's role and name queries
// and aria snapshots): names and roles, keyboard focus order and operation, contrast, motion.

const baseUrl = inject('baseUrl');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The focused element as the accessibility tree names it, e.g. `button "Clear"`. */
async function focused(page: Page): Promise<string> {
  const none = await page.evaluate(() => !document.activeElement || document.activeElement === document.body);
  if (none) return '(nothing)';
  const snapshot = await page.locator(':focus').ariaSnapshot({ timeout: 5000 });
  const [, role, name] = /^- (\w+) "([^"]*)"/.exec(snapshot) ?? [];
  return `${role} "${name}"`;
}

/** Names of the elements Tab visits from the top of the page, until focus comes back round. */
async function tabOrder(page: Page): Promise<string[]> {
  await page.locator('body').focus();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const order: string[] = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const name = await focused(page);
    if (order.includes(name) || name === '(nothing)') break;
    order.push(name);
  }
  return order;
}

describe('accessibility', () => {
  it('names and roles: the drawing pad, the status region, the controls, the chart', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toMatch(/digit/i);
    await page.getByRole('img', { name: 'Drawing pad' }).waitFor();
    expect(await page.getByRole('img', { name: 'Drawing pad' }).getAttribute('aria-describedby')).toBe('pad-help');
    await page.getByRole('status', { name: 'Prediction' }).waitFor();
    await page.getByRole('button', { name: 'Clear' }).waitFor();
    await page.getByLabel('Upload an image').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Draw a digit' }).waitFor();
    expect(await page.getByRole('list', { name: 'Probability of each digit' }).getByRole('listitem').count()).toBe(10);
    const group = page.getByRole('group', { name: 'Wrong? It was a …' });
    for (let d = 0; d < 10; d++) await group.getByRole('button', { name: `It was a ${d}`, exact: true }).waitFor();
    await page.getByRole('img', { name: 'The 28 by 28 image the model saw' }).waitFor();

    // The prediction is announced politely in the status region, with the digit in its text.
    await drawWithMouse(page, '#pad', DIGITS[7]);
    const { digit } = await announcedDigit(page);
    const status = page.getByRole('status', { name: 'Prediction' });
    expect(await status.getAttribute('aria-live') ?? 'polite').toBe('polite');
    expect(await status.textContent()).toContain(String(digit));
    await context.close();
  });

  it('keyboard: every control in order, visibly focused, and operable', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    // Before any prediction the corrections are disabled, so out of the tab order.
    expect(await tabOrder(page)).toEqual(['button "Clear"', 'button "Upload an image"']);
    await drawWithMouse(page, '#pad', DIGITS[0]);
    await announcedDigit(page);
    const digits = Array.from({ length: 10 }, (_, d) => `button "It was a ${d}"`);
    expect(await tabOrder(page)).toEqual(['button "Clear"', 'button "Upload an image"', ...digits]);

    // Focus is visible: an outline of at least 2 px on each control.
    await page.locator('body').focus();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      expect(outline.style).not.toBe('none');
      expect(outline.width).toBeGreaterThanOrEqual(2);
    }

    // Space on the upload control opens the file chooser; Enter on Clear clears.
    await page.getByLabel('Upload an image').focus();
    const chooser = page.waitForEvent('filechooser', { timeout: 5000 });
    await page.keyboard.press('Space');
    await chooser;
    await page.getByRole('button', { name: 'Clear' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('status', { name: 'Prediction' }).textContent()).toBe('Draw a digit, or upload a picture of one.');
    await context.close();
  });

  it('text and controls meet WCAG AA contrast', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    await drawWithMouse(page, '#pad', DIGITS[3]);
    await announcedDigit(page);
    const ratios = await page.evaluate(() => {
      const rgba = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
      const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      const luminance = ([r, g, b]: number[]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
      const background = (el: Element | null): number[] => {
        for (; el; el = el.parentElement) {
          const c = rgba(getComputedStyle(el).backgroundColor);
          if (c.length === 3 || c[3] > 0) return c;
        }
        return [255, 255, 255];
      };
      const ratio = (a: number[], b: number[]) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
      };
      const out: Record<string, number> = {};
      const selectors = ['h1', 'h2', 'header p', '#pad-help', '#status', '.bars .digit', '.bars .value', '.top .value', '#clear', '.file', '.seen p', '.model', '.fix legend', '.fix button'];
      for (const sel of selectors) {
        const el = document.querySelector(sel)!;
        out[sel] = ratio(rgba(getComputedStyle(el).color), background(el));
      }
      // Non-text contrast (WCAG 1.4.11): the bars against their track, the pad's border.
      out['bar (3:1)'] = ratio(rgba(getComputedStyle(document.querySelector('.fill')!).backgroundColor), rgba(getComputedStyle(document.querySelector('.bar')!).backgroundColor));
      out['top bar (3:1)'] = ratio(rgba(getComputedStyle(document.querySelector('.top .fill')!).backgroundColor), rgba(getComputedStyle(document.querySelector('.bar')!).backgroundColor));
      out['pad border (3:1)'] = ratio(rgba(getComputedStyle(document.getElementById('pad')!).borderTopColor), background(document.getElementById('pad')!.parentElement));
      return out;
    });
    for (const [what, r] of Object.entries(ratios)) expect(r, `${what}: ${r.toFixed(2)}:1`).toBeGreaterThanOrEqual(what.includes('3:1') ? 3 : 4.5);
    await context.close();
  });

  it('respects prefers-reduced-motion: the bars move only when motion is welcome', async () => {
    const duration = async (reducedMotion: 'reduce' | 'no-preference') => {
      const { context, page } = await openPage(browser, baseUrl, { reducedMotion });
      const d = await page.locator('.fill').first().evaluate((e) => getComputedStyle(e).transitionDuration);
      await context.close();
      return d;
    };
    expect(await duration('reduce')).toBe('0s');
    expect(await duration('no-preference')).not.toBe('0s');
  });
});
