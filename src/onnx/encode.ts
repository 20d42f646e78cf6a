import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';

/** A ModelProto to write: the fields set, nested messages as plain objects (proto.ts builds them). */
export type ModelInit = MessageInitShape<typeof ModelProtoSchema>;

/**
 * ModelProto bytes, written by @bufbuild/protobuf with onnx-buf's schema. Loaded by export.ts
 * when a model is first exported: the schema's boot is paid there, not at a Worker's start (wire.ts).
 *
 * @example
 * const bytes = encodeModel({ irVersion: 10n, graph: { node: [...] } });
 */
export function encodeModel(init: ModelInit): Uint8Array {
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, init));
}
