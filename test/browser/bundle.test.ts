import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundlePage, PAGE_DIR, PAGE_SCRIPT } from '../../scripts/lib/build-page.ts';

// The page's script is committed (page/public/app.js) so that a fresh clone serves the page with no
// build step; these tests fail when it is stale or when the page outgrows its budget.

/** The page's whole weight (HTML + CSS + JS), gzip: a budget, not a measurement of speed. */
const BUDGET_GZIP_BYTES = 12 * 1024;

describe('the page bundle', () => {
  it('page/public/app.js is what page/src builds to (else: npm run build:page)', async () => {
    const built = await bundlePage();
    const committed = readFileSync(PAGE_SCRIPT);
    expect(Buffer.from(built).equals(committed), 'page/public/app.js is stale: run `npm run build:page` and commit it').toBe(true);
  });

  it(`HTML, CSS and JS weigh under ${BUDGET_GZIP_BYTES / 1024} KiB gzip`, () => {
    let raw = 0;
    let gzip = 0;
    const sizes: Record<string, string> = {};
    for (const file of ['index.html', 'app.css', 'app.js']) {
      const bytes = readFileSync(join(PAGE_DIR, 'public', file));
      const zipped = gzipSync(bytes, { level: 9 }).length;
      sizes[file] = `${bytes.length} B, ${zipped} B gzip`;
      raw += bytes.length;
      gzip += zipped;
    }
    console.log(`page: ${JSON.stringify(sizes)}; total ${raw} B, ${gzip} B gzip`);
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });
});
