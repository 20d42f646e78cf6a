import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { FIXED_SET_FILES, FIXED_SETS_PATH } from '../../functions/trainer/fixed-set-files.ts';
import { fixedHoldout, fixedReplaySeed } from '../../functions/trainer/fixed-sets.ts';

describe('the trainer\'s fixed sets among the static assets', () => {
  it('are read through ASSETS as they are (gzipped) and unpacked', async () => {
    for (const file of FIXED_SET_FILES) {
      const bytes = new Uint8Array(await (await env.ASSETS.fetch(`http://assets${FIXED_SETS_PATH}${file}`)).arrayBuffer());
      expect([bytes[0], bytes[1]], file).toEqual([0x1f, 0x8b]);
    }
    const holdout = await fixedHoldout(env.ASSETS);
    expect(holdout.n).toBe(1000);
    expect([...new Set(holdout.labels)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await fixedReplaySeed(env.ASSETS)).toHaveLength(1000);
  });

  it('are not served: the Worker answers their path (wrangler.toml routes it there first) with a 404', async () => {
    for (const file of FIXED_SET_FILES) {
      const res = await SELF.fetch(`http://worker${FIXED_SETS_PATH}${file}`);
      expect(res.status, file).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await res.body?.cancel();
    }
  });
});
