import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FIXED_SETS_PATH } from '../../../functions/trainer/fixed-set-files.ts';

const models = join(import.meta.dirname, '../../../models');

/** The Worker's ASSETS binding as it answers: models/'s files under FIXED_SETS_PATH, unless `missing`; counts its reads. */
function assets(missing: Set<string> = new Set()) {
  const reads: string[] = [];
  return {
    reads,
    async fetch(url: string): Promise<Response> {
      const { pathname } = new URL(url);
      reads.push(pathname);
      const file = pathname.slice(FIXED_SETS_PATH.length);
      if (!pathname.startsWith(FIXED_SETS_PATH) || missing.has(file)) return new Response('Not Found', { status: 404 });
      return new Response(readFileSync(join(models, file)), { headers: { 'content-type': 'application/gzip' } });
    },
  };
}

// A fresh module per test: each isolate reads the sets once.
async function fresh() {
  vi.resetModules();
  return import('../../../functions/trainer/fixed-sets.ts');
}

describe('the trainer\'s fixed sets, read from the static assets', () => {
  it('unpacks the holdout and the replay seed once per isolate', async () => {
    const sets = await fresh();
    const a = assets();
    const [h1, h2] = await Promise.all([sets.fixedHoldout(a), sets.fixedHoldout(a)]);
    expect(h1).toBe(h2);
    expect(h1.n).toBe(1000);
    expect(await sets.fixedReplaySeed(a)).toHaveLength(1000);
    expect(a.reads.sort()).toEqual(['/sets/holdout-images.idx.gz', '/sets/holdout-labels.idx.gz', '/sets/replay-images.idx.gz', '/sets/replay-labels.idx.gz']);
  });

  it('without an ASSETS binding, or with a file missing, fails with what to do, and reads again next time', async () => {
    const sets = await fresh();
    await expect(sets.fixedHoldout(undefined)).rejects.toThrow(/no ASSETS binding/);
    await expect(sets.fixedHoldout(assets(new Set(['holdout-labels.idx.gz'])))).rejects.toThrow(/no \/sets\/holdout-labels\.idx\.gz \(404\): `npm run build:page` copies/);
    expect((await sets.fixedHoldout(assets())).n).toBe(1000);
  });
});
