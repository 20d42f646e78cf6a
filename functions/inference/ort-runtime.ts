import * as ort from 'onnxruntime-web/wasm';

/**
 * workerd forbids compiling WebAssembly from bytes, and ORT cannot find its .wasm by itself there
 * (no import.meta.url). So ORT is handed a small marker as its "wasm binary", and WebAssembly.instantiate
 * is wrapped once: for that marker only it instantiates the precompiled module the bundler gave us.
 * Every other call passes through. Installed once and never removed: swapping it per call would
 * break overlapping session creations (see shared/notes/onnxruntime-web-in-workerd.md).
 */
const MARKER = new Uint8Array([0x6e, 0x75, 0x74, 0x73, 0x68, 0x65, 0x6c, 0x6c]); // "nutshell"

let configured: WebAssembly.Module | null = null;

/**
 * Points onnxruntime-web at a precompiled WebAssembly module (`import m from
 * 'onnxruntime-web/ort-wasm-simd-threaded.wasm'` in a Worker) and fixes the settings workerd
 * needs: one thread (SharedArrayBuffer cannot be posted there) and no proxy worker.
 * Idempotent for the same module; a different module is refused.
 *
 * @example
 * import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
 * useCompiledOrtWasm(ortWasm);
 * const session = await ort.InferenceSession.create(bytes);
 */
export function useCompiledOrtWasm(module: WebAssembly.Module): typeof ort {
  if (configured === module) return ort;
  if (configured) throw new Error('onnxruntime-web is already bound to another WebAssembly module');
  configured = module;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  const wrapped = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (isMarker(source)) {
      return (instantiate(module, imports) as Promise<WebAssembly.Instance>).then((instance) => ({ instance, module }));
    }
    return instantiate(source, imports);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = wrapped;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = MARKER;
  return ort;
}

function isMarker(source: unknown): boolean {
  if (!(source instanceof Uint8Array) && !(source instanceof ArrayBuffer)) return false;
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  return bytes.length === MARKER.length && bytes.every((b, i) => b === MARKER[i]);
}

export { ort };
