import { build } from 'esbuild';
import { join } from 'node:path';

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
