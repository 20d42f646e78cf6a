import type { Browser, BrowserContext, Page } from 'playwright-core';

/** The page at `url` in a fresh context, with every page error and console error collected. */
export async function openPage(browser: Browser, url: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  // Playwright waits 30 s by default; an isolate's first prediction on a loaded 2-core machine
  // (onnxruntime's set-up beside the core's answer) can take longer.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  await page.goto(url);
  // The page names the served model once it has asked /v1/models.
  await page.waitForFunction(() => document.getElementById('model-version')!.textContent !== '…');
  return { context, page, problems };
}

/** The served version of a model, from the API (not from the page). */
export async function servedVersion(baseUrl: string, name = 'digits'): Promise<string> {
  const { models } = (await (await fetch(`${baseUrl}/v1/models`)).json()) as { models: Array<{ name: string; version: string }> };
  const model = models.find((m) => m.name === name);
  if (!model) throw new Error(`GET /v1/models lists no model "${name}"`);
  return model.version;
}

/** Counts the page's POST /v1/predict requests and the most that were in flight at once. */
export function watchPredictions(page: Page): { sent: () => number; maxInFlight: () => number } {
  let sent = 0;
  let inFlight = 0;
  let max = 0;
  const isPredict = (r: { url(): string; method(): string }) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/predict';
  page.on('request', (r) => {
    if (!isPredict(r)) return;
    sent++;
    max = Math.max(max, ++inFlight);
  });
  const done = (r: { url(): string; method(): string }) => void (isPredict(r) && inFlight--);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return { sent: () => sent, maxInFlight: () => max };
}

/**
 * Records the bodies the page's script sends to /v1/predict (Chromium does not report blob bodies
 * to Playwright): window.fetch is wrapped to copy the body's bytes, then calls the real fetch.
 * Returns a function giving the last body's bytes and content type.
 */
export async function recordPredictBodies(page: Page): Promise<() => Promise<{ type: string; bytes: Buffer }>> {
  await page.evaluate(() => {
    const w = window as unknown as { __sent: Array<{ type: string; bytes: number[] }> };
    w.__sent = [];
    const real = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      if (String(input).startsWith('/v1/predict') && init?.body instanceof Blob) {
        const type = new Headers(init.headers).get('content-type') ?? '';
        w.__sent.push({ type, bytes: Array.from(new Uint8Array(await init.body.arrayBuffer())) });
      }
      return real(input, init);
    };
  });
  return async () => {
    const sent = await page.evaluate(() => (window as unknown as { __sent: Array<{ type: string; bytes: number[] }> }).__sent.at(-1));
    if (!sent) throw new Error('the page sent no image to /v1/predict');
    return { type: sent.type, bytes: Buffer.from(sent.bytes) };
  };
}
