import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXED_SET_FILES, FIXED_SETS_PATH } from '../../functions/trainer/fixed-set-files.ts';
import { PAGE_DIR } from './build-page.ts';

/** Where the Worker's static assets ([assets] in wrangler.toml) hold the trainer's fixed sets. */
export const FIXED_SETS_DIR = join(PAGE_DIR, 'public', FIXED_SETS_PATH);

/**
 * Copies the trainer's fixed sets from models/ into the Worker's static assets, where it reads them
 * through its ASSETS binding (functions/trainer/fixed-sets.ts). `npm run build:page` calls it (so
 * `wrangler dev` and `wrangler deploy` do), and so do the harnesses that run the Worker without
 * wrangler's build; the copies are not committed.
 */
export function stageFixedSets(): void {
  mkdirSync(FIXED_SETS_DIR, { recursive: true });
  for (const file of FIXED_SET_FILES) copyFileSync(join(PAGE_DIR, '../models', file), join(FIXED_SETS_DIR, file));
}
