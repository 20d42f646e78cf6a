import type { Example } from '../../src/online/example.ts';
import type { Holdout } from '../../src/online/gate.ts';
import { IsolateValues } from '../isolate-values.ts';
import { FIXED_SETS_PATH, type FIXED_SET_FILES } from './fixed-set-files.ts';
import { readExamples, readHoldout, type IdxPair } from './sets.ts';

// The trainer's fixed sets, read from the Worker's static assets (fixed-set-files.ts: where, and why there).
type FixedSetFile = (typeof FIXED_SET_FILES)[number];

/** What the sets are read through: the ASSETS binding (a Fetcher), absent where none is bound. */
type Assets = { fetch(url: string): Promise<Response> } | undefined;

// Per isolate, each set is read and unpacked once and kept as a value, not as a promise one request
// hands to another (isolate-values.ts says why); a failed read stores nothing, and the next tries again.
const holdouts = new IsolateValues<Holdout>();
const replaySeeds = new IsolateValues<Example[]>();

/** The anchor holdout (100 digits per class of MNIST's test set), unpacked once per isolate. */
export function fixedHoldout(assets: Assets): Promise<Holdout> {
  return holdouts.get('holdout', async () => readHoldout(await readSet(assets, 'holdout')));
}

/** The replay buffer's first contents (100 digits per class of MNIST's training set), unpacked once per isolate. */
export function fixedReplaySeed(assets: Assets): Promise<Example[]> {
  return replaySeeds.get('replay', async () => readExamples(await readSet(assets, 'replay')));
}

async function readSet(assets: Assets, set: 'holdout' | 'replay'): Promise<IdxPair> {
  const [images, labels] = await Promise.all([readAsset(assets, `${set}-images.idx.gz`), readAsset(assets, `${set}-labels.idx.gz`)]);
  return { images, labels };
}

async function readAsset(assets: Assets, file: FixedSetFile): Promise<ArrayBuffer> {
  if (!assets) throw new Error('the Worker has no ASSETS binding, where the trainer\'s fixed sets are read from ([assets] in wrangler.toml)');
  const res = await assets.fetch(`https://assets.local${FIXED_SETS_PATH}${file}`);
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`the Worker's static assets have no ${FIXED_SETS_PATH}${file} (${res.status}): \`npm run build:page\` copies the fixed sets there from models/`);
  }
  return res.arrayBuffer();
}
