import { sha256Hex } from '../../src/util/sha256.ts';
import { metricsOf, type CardMetrics } from '../../src/models/describe.ts';
import { describeServed } from './parsed.ts';
import type { ServedModel } from './model.ts';

/** A model shipped inside the Worker's bundle: served when the registry has no version of it. */
export interface BundledModel {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** Its model card (src/models/card.ts), of which the numbers of `metrics` are read. */
  card?: CardMetrics;
}

/** Hex digits of the file's sha256 in a bundled version's name: 48 bits, no collision among a few thousand builds. */
const VERSION_HASH_DIGITS = 12;

/**
 * The served description of a bundled model. Its version is derived from the file's sha256
 * (`bundled-<first 12 hex>`): stable across deploys of the same file, different for any other.
 *
 * @example
 * const m = await loadBundled({ name: 'digits', bytes }); // m.version === 'bundled-3f2a...'
 */
export async function loadBundled(model: BundledModel): Promise<ServedModel> {
  const sha256 = await sha256Hex([model.bytes]);
  const { inputShape, metadata } = describeServed(model.bytes);
  return {
    name: model.name,
    version: `bundled-${sha256.slice(0, VERSION_HASH_DIGITS)}`,
    source: 'bundled',
    sha256,
    metrics: metricsOf(metadata, model.card),
    bytes: model.bytes,
    inputShape,
  };
}
