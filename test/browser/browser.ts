import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying to
 * reach Google's services, and those connections are refused here. Playwright adds --headless and
 * a fresh --user-data-dir (a new temporary profile per launch).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium, or fails saying how to install it.
 *
 * @example
 * const browser = await launchChromium(); const page = await browser.newPage();
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A stroke: points as fractions (0..1) of the drawing pad's side. */
export type Stroke = Array<[number, number]>;

const arc = (cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = 24): Stroke =>
  Array.from({ length: n + 1 }, (_, k) => {
    const a = ((from + ((to - from) * k) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });

/**
 * Digits as a person would draw them, stroke by stroke (angles in degrees, y pointing down so
 * that increasing angles turn clockwise on screen).
 */
export const DIGITS: Record<number, Stroke[]> = {
  0: [arc(0.5, 0.5, 0.2, 0.3, -90, 270, 40)],
  1: [[[0.53, 0.2], [0.5, 0.5], [0.47, 0.8]]],
  3: [[...arc(0.48, 0.34, 0.17, 0.15, 200, 450), ...arc(0.48, 0.64, 0.19, 0.15, 270, 520).slice(1)]],
  7: [[[0.28, 0.22], [0.72, 0.22], [0.44, 0.8]]],
};

/**
 * Draws strokes on an element with the mouse: press, move in small steps (so the page sees many
 * pointer moves, as from a hand), release.
 *
 * @example
 * await drawWithMouse(page, '#pad', DIGITS[7]);
 */
export async function drawWithMouse(page: Page, selector: string, strokes: Stroke[]): Promise<number> {
  const box = (await page.locator(selector).boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  let moves = 0;
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++) {
      const steps = Math.max(2, Math.round(Math.hypot(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]) * 40));
      await page.mouse.move(...at(stroke[i]), { steps });
      moves += steps;
    }
    await page.mouse.up();
  }
  return moves;
}

/**
 * Draws strokes with a pen or a finger through Chromium's own input pipeline (DevTools protocol
 * input events), so the page receives real pointer events of that pointerType. Touch needs a
 * context created with `hasTouch: true`.
 *
 * @example
 * await drawWith(page, '#pad', DIGITS[1], 'touch');
 */
export async function drawWith(page: Page, selector: string, strokes: Stroke[], kind: 'pen' | 'touch'): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const at = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  const path = (stroke: Stroke) =>
    stroke.flatMap((p, i) => {
      if (i === 0) return [p];
      const q = stroke[i - 1];
      const n = Math.max(2, Math.round(Math.hypot(p[0] - q[0], p[1] - q[1]) * 40));
      return Array.from({ length: n }, (_, k) => [q[0] + ((p[0] - q[0]) * (k + 1)) / n, q[1] + ((p[1] - q[1]) * (k + 1)) / n] as [number, number]);
    });
  for (const stroke of strokes) {
    const points = path(stroke).map(at);
    if (kind === 'touch') {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [points[0]] });
      for (const p of points.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [p] });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    } else {
      const pen = { pointerType: 'pen' as const, button: 'left' as const };
      await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...points[0], ...pen, buttons: 1, clickCount: 1, force: 0.5 });
      for (const p of points.slice(1)) await cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', ...p, ...pen, buttons: 1, force: 0.5 });
      await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...points[points.length - 1], ...pen, buttons: 0, clickCount: 1 });
    }
  }
  await cdp.detach();
}

/**
 * Waits until the page has answered the latest input (nothing scheduled or in flight) and returns
 * the digit its status region announces; fails with the page's error message if it shows one.
 */
export async function announcedDigit(page: Page): Promise<{ digit: number; text: string }> {
  await page.waitForFunction(() => {
    const busy = document.getElementById('result')!.getAttribute('aria-busy') === 'true';
    const done = /^Prediction: \d/.test(document.getElementById('status')!.textContent ?? '');
    return !busy && (done || document.getElementById('error')!.textContent !== '');
  });
  const error = await page.locator('#error').textContent();
  if (error) throw new Error(`the page shows an error instead of a prediction: ${error}`);
  const text = (await page.getByRole('status', { name: 'Prediction' }).textContent()) ?? '';
  return { digit: Number(/^Prediction: (\d)/.exec(text)![1]), text };
}
