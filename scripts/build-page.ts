/**
 * `npm run build:page`: bundles the page's script (page/src) into page/public/app.js (committed, so
 * a fresh clone needs no build step; test/browser/bundle.test.ts fails when it is stale), and copies
 * the API docs page's renderer (Swagger UI, from node_modules) into page/public/api/vendor and the
 * online trainer's fixed sets (from models/) into page/public/sets, both among the Worker's static
 * assets. wrangler runs it before `wrangler dev` and `wrangler deploy` ([build] in wrangler.toml).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { API_DOCS_VENDOR, bundlePage, copyApiDocsRenderer, PAGE_SCRIPT } from './lib/build-page.ts';
import { stageFixedSets } from './lib/fixed-sets.ts';

const gzip = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length;
const bytes = await bundlePage();
writeFileSync(PAGE_SCRIPT, bytes);
console.log(`page/public/app.js: ${bytes.length} bytes, ${gzip(bytes)} gzip`);
for (const { file, bytes: n } of copyApiDocsRenderer()) {
  if (/\.(js|css)$/.test(file)) console.log(`page/public/api/vendor/${file}: ${n} bytes, ${gzip(readFileSync(`${API_DOCS_VENDOR}/${file}`))} gzip`);
}
stageFixedSets();
console.log('page/public/sets: the online trainer\'s fixed sets, from models/');
