import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../../scripts/bench/predict-http.ts';

// The script `wrangler deploy` uploads: every isolate parses all of it at start.
const dir = mkdtempSync(join(tmpdir(), 'nutshell-bundle-'));
const out = join(dir, 'dist');
let script = '';
let sources: string[] = [];

beforeAll(() => {
  buildWorker(dir, 'dist', 'wrangler.toml');
  script = readFileSync(join(out, 'index.js'), 'utf8');
  sources = (JSON.parse(readFileSync(join(out, 'index.js.map'), 'utf8')) as { sources: string[] }).sources;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the deployable Worker script', () => {
  it("carries zod's English error messages and no other language's", () => {
    expect(script).toContain('Too big: expected');
    expect(script).not.toContain('Eingabe'); // German
    expect(script).not.toContain('invalide'); // French
    expect(sources.filter((f) => f.includes('zod/v4/locales/'))).toEqual([expect.stringMatching(/zod\/v4\/locales\/en\.js$/)]);
  });

  it('is minified, with a source map of the original files', () => {
    expect(script.split('\n').length).toBeLessThan(100);
    expect(sources.some((f) => f.endsWith('/functions/index.ts'))).toBe(true);
  });
});
