import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { announcedDigit, DIGITS, drawWith, drawWithMouse, launchChromium } from './browser.ts';
import { openPage, recordPredictBodies, servedVersion, watchPredictions } from './page-helpers.ts';

// The page in Chromium against wrangler dev: drawing with a mouse and a pen, what the answer shows,
// how often the page asks, uploads (small and too large), errors, being offline.

const ROOT = join(import.meta.dirname, '../..');
const fixture = (name: string) => join(ROOT, 'test/fixtures/digits', name);
const baseUrl = inject('baseUrl');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('drawing a digit', () => {
  it('predicts 0, 1, 3 and 7 drawn with the mouse, each announced in the status region', async () => {
    const { context, page, problems } = await openPage(browser, baseUrl);
    for (const digit of [0, 1, 3, 7]) {
      await page.getByRole('button', { name: 'Clear' }).click();
      await drawWithMouse(page, '#pad', DIGITS[digit]);
      const { digit: announced, text } = await announcedDigit(page);
      expect(announced, `drew a ${digit}; the page says "${text}"`).toBe(digit);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows all ten probabilities, the model that answered and the 28x28 image it saw', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    // The page may ask while the stroke is still being drawn; what it shows is the last answer.
    const answers: Array<Promise<unknown>> = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/v1/predict') answers.push(r.json());
    });
    await drawWithMouse(page, '#pad', DIGITS[7]);
    const { digit } = await announcedDigit(page);
    await page.waitForFunction(() => document.getElementById('result')!.getAttribute('aria-busy') === 'false');
    const api = (await answers.at(-1)) as { digit: number; probabilities: number[]; model: { name: string; version: string }; input: number[] };

    // The bars: one row per digit, the answer's digit marked, values as the API gave them.
    const rows = page.getByRole('list', { name: 'Probability of each digit' }).getByRole('listitem');
    expect(await rows.count()).toBe(10);
    expect(await page.locator('#bars li.top .digit').textContent()).toBe(String(digit));
    const shown = await page.locator('#bars .value').allTextContents();
    expect(shown[digit]).toBe(`${Math.round(api.probabilities[digit] * 100)}%`);
    const widths = await page.locator('#bars .fill').evaluateAll((els) => els.map((e) => parseFloat((e as HTMLElement).style.width)));
    widths.forEach((w, d) => expect(Math.abs(w - api.probabilities[d] * 100)).toBeLessThanOrEqual(0.05));

    // The model's name and version, as GET /v1/models states them.
    expect(await page.locator('#model-name').textContent()).toBe('digits');
    expect(await page.locator('#model-version').textContent()).toBe(await servedVersion(baseUrl));
    expect(api.model.version).toBe(await servedVersion(baseUrl));

    // The small canvas holds exactly the pixels the API says the model saw.
    const seen = await page.getByRole('img', { name: 'The 28 by 28 image the model saw' }).evaluate((c) => {
      const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      return Array.from({ length: 784 }, (_, i) => data[i * 4]);
    });
    expect(api.input).toHaveLength(784);
    expect(seen).toEqual(api.input.map((v) => Math.round(v * 255)));
    expect(seen.filter((v) => v > 128).length).toBeGreaterThan(20);
    await context.close();
  });

  it('asks while drawing at most every 800 ms and once on lifting the pen, one request at a time', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    const predictions = watchPredictions(page);
    const box = (await page.locator('#pad').boundingBox())!;
    const stroke = DIGITS[3][0];
    const started = Date.now();
    await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
    await page.mouse.down();
    let moves = 0;
    // A slow hand: about 2 s of drawing, a pointer move every 20 ms or so.
    for (let i = 1; i < stroke.length; i++) {
      await page.mouse.move(box.x + stroke[i][0] * box.width, box.y + stroke[i][1] * box.height, { steps: 3 });
      moves += 3;
      await page.waitForTimeout(45);
    }
    const drawingMs = Date.now() - started;
    await page.mouse.up();
    expect((await announcedDigit(page)).digit).toBe(3);
    // Requests while drawing: at most one per 800 ms (the longest wait), plus the one on lifting.
    expect(predictions.sent()).toBeGreaterThanOrEqual(2);
    expect(predictions.sent()).toBeLessThanOrEqual(Math.floor(drawingMs / 800) + 2);
    expect(predictions.sent()).toBeLessThan(moves / 10);
    expect(predictions.maxInFlight()).toBe(1);
    await context.close();
  });

  it('draws with a pen (pointerType "pen") as with a mouse', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    await page.locator('#pad').evaluate((pad) => pad.addEventListener('pointerdown', (e) => ((pad as HTMLElement).dataset.pointer = (e as PointerEvent).pointerType)));
    await drawWith(page, '#pad', DIGITS[1], 'pen');
    expect(await page.locator('#pad').getAttribute('data-pointer')).toBe('pen');
    expect((await announcedDigit(page)).digit).toBe(1);
    await context.close();
  });

  it('Clear empties the pad and the answer', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    await drawWithMouse(page, '#pad', DIGITS[0]);
    await announcedDigit(page);
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.getByRole('status', { name: 'Prediction' }).textContent()).toBe('Draw a digit, or upload a picture of one.');
    const ink = await page.locator('#pad').evaluate((c) => {
      const cv = c as HTMLCanvasElement;
      return cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data.some((v, i) => i % 4 === 3 && v > 0);
    });
    expect(ink).toBe(false);
    expect(await page.getByRole('button', { name: 'It was a 0' }).isDisabled()).toBe(true);
    await context.close();
  });
});

describe('uploading an image', () => {
  it('predicts a PNG file, sent as it is', async () => {
    const { context, page, problems } = await openPage(browser, baseUrl);
    const lastSent = await recordPredictBodies(page);
    for (const [name, label] of [['036-6-becauseweorganize-canvas.png', 6], ['053-3-comicneue-scan.png', 3]] as const) {
      await page.getByLabel('Upload an image').setInputFiles(fixture(name));
      expect((await announcedDigit(page)).digit, name).toBe(label);
      const sent = await lastSent();
      expect(sent.type).toBe('image/png');
      expect(sent.bytes.equals(readFileSync(fixture(name)))).toBe(true);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('scales a photo over the Worker\'s 4-megapixel limit down before sending it', async () => {
    // A 2800 x 2000 (5.6 MP) picture of a 3, made by enlarging a fixture 28 times.
    const small = decode(readFileSync(fixture('053-3-comicneue-scan.png')));
    const k = 2800 / small.width;
    const width = Math.round(small.width * k);
    const height = Math.round(small.height * k);
    const channels = small.channels;
    const big = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const from = (Math.floor(y / k) * small.width + Math.floor(x / k)) * channels;
        for (let c = 0; c < channels; c++) big[(y * width + x) * channels + c] = small.data[from + c];
      }
    }
    expect(width * height).toBeGreaterThan(4 * 1024 * 1024);
    const png = encode({ width, height, channels, depth: 8, data: big });

    const { context, page } = await openPage(browser, baseUrl);
    const lastSent = await recordPredictBodies(page);
    await page.getByLabel('Upload an image').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    expect((await announcedDigit(page)).digit).toBe(3);
    const { type, bytes } = await lastSent();
    expect(type).toBe('image/png');
    const [w, h] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)]; // the PNG's IHDR
    expect(Math.max(w, h)).toBe(1024);
    expect(Math.abs(w / h - width / height)).toBeLessThan(0.01);
    await context.close();
  });

  it('says so when the file is not an image, or when the API finds no digit in it', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    const alert = page.locator('#error');
    await page.getByLabel('Upload an image').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await page.waitForFunction(() => document.getElementById('error')!.textContent !== '');
    expect(await alert.textContent()).toBe('"notes.png" is not an image this browser can read. Try a PNG or JPEG.');
    expect(await alert.getAttribute('role')).toBe('alert');

    // A blank page: the API answers 422 no_digit, and the page shows the API's message.
    const blank = encode({ width: 64, height: 64, channels: 1, depth: 8, data: new Uint8Array(64 * 64).fill(255) });
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/predict');
    await page.getByLabel('Upload an image').setInputFiles({ name: 'blank.png', mimeType: 'image/png', buffer: Buffer.from(blank) });
    const res = await answer;
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status()).toBe(422);
    await page.waitForFunction(() => (document.getElementById('error')!.textContent ?? '').startsWith('No prediction'));
    expect(await alert.textContent()).toBe(`No prediction: ${error.message}`);
    await context.close();
  });
});

describe('offline', () => {
  it('says the page is offline, then predicts by itself when the connection is back', async () => {
    const { context, page } = await openPage(browser, baseUrl);
    await context.setOffline(true);
    await page.waitForFunction(() => document.getElementById('offline')!.textContent !== '');
    expect(await page.locator('#offline').textContent()).toContain('You are offline');
    await drawWithMouse(page, '#pad', DIGITS[7]);
    await page.waitForFunction(() => document.getElementById('error')!.textContent !== '');
    expect(await page.locator('#error').textContent()).toContain('You are offline');
    await context.setOffline(false);
    expect((await announcedDigit(page)).digit).toBe(7);
    expect(await page.locator('#offline').textContent()).toBe('');
    expect(await page.locator('#error').textContent()).toBe('');
    await context.close();
  });
});
