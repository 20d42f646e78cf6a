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
  } catch (e) {
    console.error('warming the default model at start failed; the first prediction will load it', e);
  }
}
