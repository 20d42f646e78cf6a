/**
 * `npm run build:page`: bundles the page's script (page/src) into page/public/app.js (committed, so
 * a fresh clone needs no build step; test/browser/bundle.test.ts fails when it is stale).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bundlePage, PAGE_SCRIPT } from './lib/build-page.ts';

const bytes = await bundlePage();
writeFileSync(PAGE_SCRIPT, bytes);
console.log(`page/public/app.js: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip`);
