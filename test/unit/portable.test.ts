import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every TypeScript file of the library (the AssemblyScript kernel sources are another language). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path.endsWith(join('cpu', 'assembly')) ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// src/ runs in Node, in a browser and in a Worker: Web-standard APIs only, and no reaching up the layers.
const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node: import'],
  [/from\s+['"](fs|path|os|url|crypto|worker_threads|child_process)['"]/, 'a Node built-in import'],
  [/\brequire\(/, 'require()'],
  [/\bprocess\.(env|argv|exit|cwd|version)/, 'process'],
  [/\bBuffer\.(from|alloc|concat|isBuffer)/, 'Buffer'],
  [/from\s+['"]cloudflare:/, 'a Workers-only import'],
  [/from\s+['"](\.\.\/)+(functions|scripts|page|test)\//, 'an import from outside src/'],
];

/** The source without its comments (what runs, not what is said about it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

describe('src/ is portable', () => {
  const files = sources('src');
  it('finds the library', () => expect(files.length).toBeGreaterThan(50));
  it.each(FORBIDDEN)('no file uses %s', (pattern) => {
    const offenders = files.filter((f) => pattern.test(code(readFileSync(f, 'utf8'))));
    expect(offenders).toEqual([]);
  });
});
