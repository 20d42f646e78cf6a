import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The page's folder: its TypeScript in src/, what the Worker serves in public/. */
export const PAGE_DIR = join(import.meta.dirname, '../../page');
/** The bundled script, committed so that a fresh clone serves the page with no build step. */
export const PAGE_SCRIPT = join(PAGE_DIR, 'public/app.js');

/**
 * Bundles page/src/main.ts into one minified ES module (the page's only script: its CSP allows
 * scripts from its own origin only). Deterministic: the same sources give the same bytes, which
 * the staleness test compares with the committed public/app.js.
 *
 * @example
 * writeFileSync(PAGE_SCRIPT, await bundlePage());
 */
export async function bundlePage(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(PAGE_DIR, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

/** Where the API docs page (page/public/api/index.html) finds its renderer: not committed, copied. */
export const API_DOCS_VENDOR = join(PAGE_DIR, 'public/api/vendor');

/** The files of swagger-ui-dist the docs page loads, and its licence. */
const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE'];

/**
 * Copies Swagger UI's standalone bundle from node_modules (swagger-ui-dist, pinned) beside the docs
 * page, so that the Worker serves it as a static asset. Returns the files and their sizes.
 *
 * @example
 * copyApiDocsRenderer(); // [{ file: 'swagger-ui-bundle.js', bytes: 1732839 }, ...]
 */
export function copyApiDocsRenderer(): Array<{ file: string; bytes: number }> {
  const from = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  mkdirSync(API_DOCS_VENDOR, { recursive: true });
  return SWAGGER_UI_FILES.map((file) => {
    copyFileSync(join(from, file), join(API_DOCS_VENDOR, file));
    return { file, bytes: readFileSync(join(API_DOCS_VENDOR, file)).length };
  });
}
