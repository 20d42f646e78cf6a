import type { Engines } from './inference/engines.ts';
import { parseEngineMode } from './inference/engines.ts';
import type { ModelCatalog } from './models/catalog.ts';
import { imageToPixels } from './predict/image.ts';
import { DEFAULT_MODEL } from './limits.ts';

/** A 40 x 40 grey PNG of a "1" with a flag, dark ink on white (171 bytes): what the warm-up reads. */
export const WARM_PNG = 'iVBORw0KGgoAAAANSUhEUgAAACgAAAAoCAAAAACpleexAAAAcklEQVR4Xu3TPQ7AIAgFYG7l/Xfu1PJjOwANb6ox8Q0O5gsRVLrAbAuZ404NB9GIexUUR5RqZmgOgO56OF0LzenSQHfcQhUymR7OCQLQ70RhmnjsWmMniCUraD1BsDrkgW8OfPITlJcLfQVJrPcJcxbCG+XVtaKJhzsxAAAAAElFTkSuQmCC';

/**
 * Workers start an isolate ahead of its first request (while the TLS handshake runs). Done then,
 * so that the first prediction finds the work done and the code it runs compiled: the bundled
 * default model imported into the core and run once on a small PNG, decoded and preprocessed as
 * a request's would be. The request itself cannot be rehearsed there: workerd allows no I/O
 * outside a request, and reading a body or making a Response with one is I/O to it. Nothing here
 * reads R2 or the network. With `INFERENCE_ENGINE=onnxruntime` there is nothing to warm. A
 * failure is logged; the first request then does the work itself.
 *
 * @example
 * void warmUp(catalog, engines, env.INFERENCE_ENGINE);
 */
export async function warmUp(catalog: ModelCatalog, engines: Engines, engineVar: string | undefined): Promise<void> {
  try {
    if (parseEngineMode(engineVar) === 'onnxruntime') return;
    const pixels = await imageToPixels(Uint8Array.from(atob(WARM_PNG), (c) => c.charCodeAt(0)), 'image/png');
    const model = await catalog.bundledVersion(DEFAULT_MODEL);
    await (await engines.get(model, 'core', undefined, () => {})).predict(pixels);
    settleYoungGeneration();
  } catch (e) {
    console.error('warming the default model at start failed; the first prediction will load it', e);
  }
}

/** Short-lived garbage that fills V8's young generation (2 MiB, in 64 KiB arrays: filled by a builtin, not a JS loop). */
const SETTLE_ARRAYS = 32;
const SETTLE_ARRAY_LENGTH = 8192;

/**
 * Makes V8's first scavenge happen now, at the end of the start, rather than inside the first
 * request. Everything the start left alive (modules, the app, the model) sits in the young
 * generation until the first scavenge copies it out, a few milliseconds of CPU whenever it comes;
 * the first request's own allocations would otherwise set it off. Filling the young generation
 * with garbage here sets it off while no request waits (the first request may still meet a smaller
 * one: what survived this scavenge is copied once more by the next). Were the young generation
 * larger than this, the scavenge would come later as before; this costs well under a millisecond by
 * itself.
 */
function settleYoungGeneration(): void {
  // Each array is dropped at once, so the scavenge has none of them to copy.
  for (let i = 0; i < SETTLE_ARRAYS; i++) new Array<number>(SETTLE_ARRAY_LENGTH).fill(0);
}
