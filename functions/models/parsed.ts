import type { OnnxModel } from '../../src/onnx/wire.ts';
import { describeOnnx } from '../../src/models/describe.ts';

/**
 * The ModelProto each served version's bytes were parsed into when the version was loaded (by
 * describeOnnx), kept beside the bytes for as long as they live, so that the core imports it
 * without parsing the bytes a second time. Served bytes are never changed after they are loaded.
 */
const parsed = new WeakMap<Uint8Array, OnnxModel>();

/**
 * describeOnnx, its parsed model kept for parsedOf.
 *
 * @example
 * const { inputShape } = describeServed(bytes);
 * await importOnnx(parsedOf(bytes) ?? bytes);
 */
export function describeServed(bytes: Uint8Array): ReturnType<typeof describeOnnx> {
  const described = describeOnnx(bytes);
  parsed.set(bytes, described.model);
  return described;
}

/** The model describeServed parsed from these very bytes, if it did. */
export function parsedOf(bytes: Uint8Array): OnnxModel | undefined {
  return parsed.get(bytes);
}
