import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { announcedDigit, DIGITS, drawWithMouse, launchChromium } from './browser.ts';
import { openPage, servedVersion } from './page-helpers.ts';

// "Wrong? It was a ...": the page sends the 28x28 the model saw with the right label to
// POST /v1/feedback (contract: 202 { accepted: 1, delivery }, or 429 with Retry-After, 503
// feedback_disabled, 4xx), then watches GET /v1/models until training serves a new version.

const baseUrl = inject('baseUrl');
/** How long training may take to serve a new version after one correction, in seconds (the page
 * itself watches for 180 s: page/src/watch.ts). */
const TRAINING_TIMEOUT_S = Number(process.env.PAGE_TRAINING_TIMEOUT_S ?? 190);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('correcting a prediction', () => {
  it('sends the pixels the model saw with the label, then shows the new model version once training serves it', { timeout: (TRAINING_TIMEOUT_S + 60) * 1000 }, async () => {
    const { context, page, problems } = await openPage(browser, baseUrl);
    const before = await servedVersion(baseUrl);
    const answers: Array<Promise<{ input: number[] }>> = [];
    page.on('response', (r) => new URL(r.url()).pathname === '/v1/predict' && answers.push(r.json()));
    await drawWithMouse(page, '#pad', DIGITS[7]);
    await announcedDigit(page);
    const { input } = await answers[answers.length - 1]; // the answer shown (one request at a time, in order)

    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/feedback');
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/feedback');
    await page.getByRole('button', { name: 'It was a 7', exact: true }).click();
    const request = await sent;
    expect(request.method()).toBe('POST');
    expect(request.headers()['content-type']).toBe('application/json');
    expect(request.postDataJSON()).toEqual({ pixels: input, label: 7 });

    const res = await answered;
    const body = await res.text();
    expect(res.status(), `POST /v1/feedback must answer 202 { "accepted": 1, "delivery": id } (the feedback route of the training pipeline); it answered ${res.status()} ${body}`).toBe(202);
    const receipt = JSON.parse(body) as { accepted: number; delivery: string };
    expect(receipt.accepted).toBe(1);
    expect(typeof receipt.delivery).toBe('string');
    const say = page.getByRole('status', { name: 'Correction' });
    expect(await say.textContent()).toContain(`accepted for training (delivery ${receipt.delivery})`);

    // Listening before the version changes: the page predicts the drawing again at once when it does.
    const repredicted = page.waitForResponse(async (r) => new URL(r.url()).pathname === '/v1/predict' && (await r.json()).model.version !== before, { timeout: TRAINING_TIMEOUT_S * 1000 });
    // The page polls GET /v1/models; training, the holdout gate and publishing take their time.
    await page.waitForFunction((old) => document.getElementById('model-version')!.textContent !== old, before, { timeout: TRAINING_TIMEOUT_S * 1000, polling: 1000 });
    const after = await page.locator('#model-version').textContent();
    expect(after).toBe(await servedVersion(baseUrl));
    expect(await say.textContent()).toContain(`The model was updated: version ${after} now answers (it was ${before})`);
    // The drawing is predicted again by the new version.
    expect((await (await repredicted).json()).model.version).toBe(after);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows each refusal the contract names: 429 with Retry-After, 503 feedback_disabled, other 4xx', async () => {
    // These answers come from the route's contract (the route itself is the training pipeline's,
    // and the test above sends a real correction): Playwright answers /v1/feedback for the page here,
    // so each refusal can be shown on demand, from the same drawing.
    const { context, page } = await openPage(browser, baseUrl);
    await drawWithMouse(page, '#pad', DIGITS[3]);
    await announcedDigit(page);
    const say = page.getByRole('status', { name: 'Correction' });
    const fix = page.getByRole('button', { name: 'It was a 3', exact: true });
    const refusals: Array<[number, Record<string, string>, string, string, string]> = [
      [429, { 'retry-after': '2' }, 'rate_limited', 'too many corrections from this address; try again later', 'Too many corrections for now: try again in 2 s. (too many corrections from this address; try again later)'],
      [503, {}, 'feedback_disabled', 'corrections are switched off by the operator', 'Corrections are switched off on this server at the moment. (corrections are switched off by the operator)'],
      [422, {}, 'invalid_label', 'label must be an integer from 0 to 9', 'The correction was not accepted: label must be an integer from 0 to 9'],
    ];
    for (const [status, headers, code, message, shown] of refusals) {
      await page.route('**/v1/feedback', (route) =>
        route.fulfill({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ error: { code, message } }) }),
      );
      await fix.click();
      await page.waitForFunction((text) => document.getElementById('fix-status')!.textContent === text, shown);
      if (status === 429) {
        // Disabled until Retry-After has passed, then offered again.
        expect(await fix.isDisabled()).toBe(true);
        await page.waitForFunction(() => !(document.getElementById('fix') as HTMLFieldSetElement).disabled, null, { timeout: 5000 });
      }
      expect(await fix.isDisabled()).toBe(false);
      await page.unroute('**/v1/feedback');
    }
    await context.close();
  });

  it('a page of another origin cannot make its visitors send corrections: the preflight grants nothing, a simple POST is refused', async () => {
    // A page of http://localhost:<port>, another origin than the Worker's http://127.0.0.1:<port> (both
    // loopback, so that Chromium's private-network rules are not what stops the requests), tries to
    // send the Worker a correction, as any website could try with its visitors' browsers.
    const elsewhere = baseUrl.replace('127.0.0.1', 'localhost');
    expect(new URL(elsewhere).origin).not.toBe(new URL(baseUrl).origin);
    const context = await browser.newContext();
    const page = await context.newPage();
    // A page of that origin without the app's CSP (which allows connections to its own origin only).
    await page.route(`${elsewhere}/elsewhere.html`, (route) => route.fulfill({ status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>elsewhere</title>' }));
    await page.goto(`${elsewhere}/elsewhere.html`);
    const attempt = (contentType: string) =>
      page.evaluate(
        async ([url, type]) => {
          try {
            await fetch(`${url}/v1/feedback`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ pixels: new Array(784).fill(0.5), label: 1 }) });
            return 'sent and read';
          } catch (e) {
            return `${(e as Error).name}`;
          }
        },
        [baseUrl, contentType] as const,
      );
    // JSON needs a preflight: answered without Access-Control-Allow-Origin, so the POST is never sent.
    expect(await attempt('application/json')).toBe('TypeError');
    // text/plain skips the preflight: the POST goes out with the page's Origin and the answer, a
    // refusal without a CORS grant, cannot be read.
    expect(await attempt('text/plain')).toBe('TypeError');
    await context.close();
    // What the Worker answered those two requests.
    const origin = new URL(elsewhere).origin;
    const preflight = await fetch(`${baseUrl}/v1/feedback`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(`${baseUrl}/v1/feedback`, { method: 'POST', headers: { origin, 'content-type': 'text/plain' }, body: '{}' });
    expect(post.status).toBe(403);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });
});
