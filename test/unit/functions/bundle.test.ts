import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../../scripts/bench/predict-http.ts';

// The scripts `wrangler deploy` uploads: every isolate parses all of its Worker's script at start.
const dir = mkdtempSync(join(tmpdir(), 'nutshell-bundle-'));
const built = { main: { script: '', sources: [] as string[] }, api: { script: '', sources: [] as string[] } };

// Two `wrangler deploy --dry-run` builds: seconds each alone, more on a loaded machine.
beforeAll(() => {
  for (const [worker, config] of [['main', 'wrangler.toml'], ['api', 'functions/api/wrangler.toml']] as const) {
    buildWorker(dir, worker, config);
    built[worker].script = readFileSync(join(dir, worker, 'index.js'), 'utf8');
    built[worker].sources = (JSON.parse(readFileSync(join(dir, worker, 'index.js.map'), 'utf8')) as { sources: string[] }).sources;
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the deployable Worker scripts', () => {
  it('the main Worker carries none of zod, the OpenAPI generator or the routes it hands to the API Worker', () => {
    const { sources } = built.main;
    expect(sources.some((f) => f.endsWith('/functions/predict/handler.ts'))).toBe(true);
    expect(sources.filter((f) => /node_modules\/(zod|@asteasolutions|@hono\/zod-openapi|@valibot\/to-json-schema)\//.test(f))).toEqual([]);
    expect(sources.filter((f) => /\/functions\/(app\.ts|.*\/(spec|route)\.ts|trainer\/|queue\/|admin\/|webhooks\/)/.test(f))).toEqual([]);
  });

  it("the API Worker carries zod's English error messages and no other language's", () => {
    const { script, sources } = built.api;
    expect(script).toContain('Too big: expected');
    expect(script).not.toContain('Eingabe'); // German
    expect(script).not.toContain('invalide'); // French
    expect(sources.filter((f) => f.includes('zod/v4/locales/'))).toEqual([expect.stringMatching(/zod\/v4\/locales\/en\.js$/)]);
  });

  it('each is minified, with a source map of the original files', () => {
    for (const [worker, entry] of [['main', '/functions/index.ts'], ['api', '/functions/api/index.ts']] as const) {
      expect(built[worker].script.split('\n').length, worker).toBeLessThan(100);
      expect(built[worker].sources.some((f) => f.endsWith(entry)), worker).toBe(true);
    }
  });
});
