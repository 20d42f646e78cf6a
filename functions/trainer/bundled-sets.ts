import type { Example } from '../../src/online/example.ts';
import type { Holdout } from '../../src/online/gate.ts';
import { readExamples, readHoldout } from './sets.ts';

// Per isolate: the fixed sets are unpacked once. Their bytes are imported on first use, not with
// the Worker's main module, so an isolate that only predicts never loads them.
let holdout: Promise<Holdout> | null = null;
let replaySeed: Promise<Example[]> | null = null;

/** The bundled anchor holdout (100 digits per class of MNIST's test set), unpacked once per isolate. */
export function bundledHoldout(): Promise<Holdout> {
  return (holdout ??= (async () => {
    const [images, labels] = await Promise.all([import('../../models/holdout-images.idx.gz'), import('../../models/holdout-labels.idx.gz')]);
    return readHoldout({ images: images.default, labels: labels.default });
  })());
}

/** The replay buffer's first contents (100 digits per class of MNIST's training set), unpacked once per isolate. */
export function bundledReplaySeed(): Promise<Example[]> {
  return (replaySeed ??= (async () => {
    const [images, labels] = await Promise.all([import('../../models/replay-images.idx.gz'), import('../../models/replay-labels.idx.gz')]);
    return readExamples({ images: images.default, labels: labels.default });
  })());
}
