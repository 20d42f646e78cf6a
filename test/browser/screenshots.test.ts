import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { announcedDigit, DIGITS, drawWith, drawWithMouse, launchChromium } from './browser.ts';
import { openPage } from './page-helpers.ts';

// The page on a phone (a 390 x 844 touch screen) and on a desktop, and the screenshots the README
// embeds (docs/screenshots/), taken with reduced motion so that the bars are where they end.

const baseUrl = inject('baseUrl');
const SHOTS = join(import.meta.dirname, '../../docs/screenshots');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

describe('on a phone', () => {
  it('fits the screen, draws with a finger without scrolling the page, and has large targets', async () => {
    const { context, page, problems } = await openPage(browser, baseUrl, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      reducedMotion: 'reduce',
    });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const pad = (await page.locator('#pad').boundingBox())!;
    expect(pad.x).toBeGreaterThanOrEqual(0);
    expect(pad.x + pad.width).toBeLessThanOrEqual(390);
    expect(pad.width).toBeGreaterThan(250);

    // A finger drawing a 1 moves down the pad: the page must not scroll (touch-action: none).
    await drawWith(page, '#pad', DIGITS[1], 'touch');
    expect((await announcedDigit(page)).digit).toBe(1);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);

    // Touch targets of at least 44 x 44 CSS pixels (WCAG 2.5.5).
    for (const button of await page.getByRole('button').all()) {
      const box = (await button.boundingBox())!;
      expect(Math.min(box.width, box.height), await button.textContent() ?? '').toBeGreaterThanOrEqual(44);
    }

    await page.getByRole('button', { name: 'Clear' }).click();
    await drawWith(page, '#pad', DIGITS[7], 'touch');
    expect((await announcedDigit(page)).digit).toBe(7);
    await page.screenshot({ path: join(SHOTS, 'page-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe('on a desktop', () => {
  it('shows the pad and the answer side by side', async () => {
    const { context, page } = await openPage(browser, baseUrl, { viewport: { width: 1200, height: 860 }, reducedMotion: 'reduce' });
    await drawWithMouse(page, '#pad', DIGITS[3]);
    expect((await announcedDigit(page)).digit).toBe(3);
    const [pad, result] = [(await page.locator('section.input').boundingBox())!, (await page.locator('#result').boundingBox())!];
    expect(result.x).toBeGreaterThan(pad.x + pad.width - 1);
    expect(Math.abs(result.y - pad.y)).toBeLessThan(1);
    await page.screenshot({ path: join(SHOTS, 'page-desktop.png'), fullPage: true });
    await context.close();
  });
});
