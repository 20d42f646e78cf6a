import type { Example } from '../../src/online/example.ts';
import type { Holdout } from '../../src/online/gate.ts';
import { FIXED_SETS_PATH, type FIXED_SET_FILES } from './fixed-set-files.ts';
import { readExamples, readHoldout, type IdxPair } from './sets.ts';

// The trainer's fixed sets, read from the Worker's static assets (fixed-set-files.ts: where, and why there).
type FixedSetFile = (typeof FIXED_SET_FILES)[number];

/** What the sets are read through: the ASSETS binding (a Fetcher), absent where none is bound. */
type Assets = { fetch(url: string): Promise<Response> } | undefined;

// Per isolate: each set is read and unpacked once (a failed read is tried again next time).
let holdout: Promise<Holdout> | null = null;
let replaySeed: Promise<Example[]> | null = null;

/** The anchor holdout (100 digits per class of MNIST's test set), unpacked once per isolate. */
export function fixedHoldout(assets: Assets): Promise<Holdout> {
  return (holdout ??= forgetOnFailure(readSet(assets, 'holdout').then(readHoldout), () => (holdout = null)));
}

/** The replay buffer's first contents (100 digits per class of MNIST's training set), unpacked once per isolate. */
export function fixedReplaySeed(assets: Assets): Promise<Example[]> {
  return (replaySeed ??= forgetOnFailure(readSet(assets, 'replay').then(readExamples), () => (replaySeed = null)));
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

function forgetOnFailure<T>(p: Promise<T>, forget: () => void): Promise<T> {
  p.catch(forget);
  return p;
}
