import { parseModel } from '../../src/onnx/import.ts';
import { DataType, valueShape } from '../../src/onnx/proto.ts';

/** A tensor as the protocol's metadata describes it; a variable dimension (the batch) is -1. */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** ONNX element types by the protocol's datatype names (its "Tensor Data Types" table). */
const DATATYPES: Partial<Record<number, string>> = {
  [DataType.BOOL]: 'BOOL', [DataType.UINT8]: 'UINT8', [DataType.UINT16]: 'UINT16', [DataType.UINT32]: 'UINT32', [DataType.UINT64]: 'UINT64',
  [DataType.INT8]: 'INT8', [DataType.INT16]: 'INT16', [DataType.INT32]: 'INT32', [DataType.INT64]: 'INT64',
  [DataType.FLOAT16]: 'FP16', [DataType.FLOAT]: 'FP32', [DataType.DOUBLE]: 'FP64', [DataType.STRING]: 'BYTES', [DataType.BFLOAT16]: 'BF16',
};

/**
 * The graph inputs (those that are not initialisers) and outputs of ONNX bytes, named and shaped
 * as the protocol's model metadata lists them (the envelope only: weights are not decoded).
 *
 * @example
 * modelTensors(bytes); // { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 784] }], outputs: [...] }
 */
export function modelTensors(bytes: Uint8Array): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
  const graph = parseModel(bytes).graph!;
  const initialised = new Set(graph.initializer.map((t) => t.name));
  const describe = (v: (typeof graph.input)[number]): TensorMetadata => {
    const { elemType, shape } = valueShape(v);
    return { name: v.name, datatype: DATATYPES[elemType] ?? `ONNX_${elemType}`, shape };
  };
  return { inputs: graph.input.filter((v) => !initialised.has(v.name)).map(describe), outputs: graph.output.map(describe) };
}
