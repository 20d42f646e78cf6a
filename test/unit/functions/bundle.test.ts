import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRANGLER_OFFLINE_ENV } from '../../../scripts/lib/wrangler-dev.ts';

// The script `wrangler deploy` uploads: every isolate parses all of it at start.
const root = resolve(import.meta.dirname, '../../..');
const out = mkdtempSync(join(tmpdir(), 'nutshell-bundle-'));
let script = '';
let sources: string[] = [];

beforeAll(() => {
  const r = spawnSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '-c', 'wrangler.toml', '--outdir', out], {
    cwd: root,
    env: { ...process.env, ...WRANGLER_OFFLINE_ENV },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  script = readFileSync(join(out, 'index.js'), 'utf8');
  sources = (JSON.parse(readFileSync(join(out, 'index.js.map'), 'utf8')) as { sources: string[] }).sources;
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

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
