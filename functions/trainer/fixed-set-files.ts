/**
 * The trainer's fixed sets (the anchor holdout and the replay buffer's seed, gzipped IDX from
 * models/) are the Worker's static assets under this path, read through its ASSETS binding, and not
 * modules of its script: workerd loads every module of a Worker at each isolate's start, and these
 * 313 KiB are needed only by a training round or an admin's upload. `npm run build:page`, which
 * wrangler runs before `dev` and `deploy`, copies them there (scripts/lib/fixed-sets.ts); the
 * Worker answers requests for the path itself (`run_worker_first` in wrangler.toml), so they are
 * not served.
 */
export const FIXED_SETS_PATH = '/sets/';

/** The files of the fixed sets, as models/ holds them. */
export const FIXED_SET_FILES = ['holdout-images.idx.gz', 'holdout-labels.idx.gz', 'replay-images.idx.gz', 'replay-labels.idx.gz'] as const;
