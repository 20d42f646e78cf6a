/**
 * Runs before `npm test`: the suites need Chromium (the page) and Mesa's EGL/GLES (WebGPU on
 * llvmpipe) from the system. When one is missing, say so in one line and how to get it, instead of
 * letting two suites fail with stacks minutes later.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../../test/browser/browser.ts';

const missing: string[] = [];
if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}; CHROMIUM_PATH overrides it)`);
const libraries = (() => {
  try {
    return execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  } catch {
    return '';
  }
})();
for (const lib of ['libEGL.so.1', 'libEGL_mesa.so.0', 'libGLESv2.so.2']) if (!libraries.includes(lib)) missing.push(lib);
if (missing.length) {
  console.error(`npm test needs ${missing.join(', ')}: run \`npm run test:deps\` once (Debian: apt-get installs chromium and Mesa's EGL/GLES).`);
  process.exit(1);
}
