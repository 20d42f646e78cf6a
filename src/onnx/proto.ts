import { AttrType, DataType, enumName, type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxTensorType, type OnnxValueInfo } from './wire.ts';

/**
 * What the exporter writes of each message: exactly the fields it sets (onnx.proto is proto2, where
 * a field set to its default is still written), given to onnx-buf's `create` in export.ts.
 */
export type TensorInit = Pick<OnnxTensor, 'name' | 'dims' | 'dataType'> & { rawData: Uint8Array<ArrayBuffer> };
export type AttributeInit = Pick<OnnxAttribute, 'name' | 'type'> & Partial<Pick<OnnxAttribute, 'f' | 'i' | 'ints'>> & { s?: Uint8Array<ArrayBuffer>; t?: TensorInit };
export type ValueInfoInit = { name: string; type: { value: { case: 'tensorType'; value: OnnxTensorType } } };
export type NodeInit = Pick<OnnxNode, 'opType' | 'name' | 'input' | 'output'> & { attribute: AttributeInit[] };

/** Small builders and readers over the ONNX protobuf messages (their parts in wire.ts; written by export.ts). */

export class OnnxError extends Error {
  override name = 'OnnxError';
}

/** A float32 initializer, stored as little-endian raw bytes as ONNX specifies. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorInit {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return tensor(name, dims, DataType.FLOAT, raw);
}

/** An int64 initializer (for Reshape shapes and the like). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorInit {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return tensor(name, dims, DataType.INT64, raw);
}

function tensor(name: string, dims: readonly number[], dataType: number, rawData: Uint8Array<ArrayBuffer>): TensorInit {
  return { name, dims: dims.map(BigInt), dataType, rawData };
}

/** Whether this host stores numbers little-endian (every current JavaScript engine does). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The values of a float or int64 tensor, wherever the producer put them (raw bytes or typed fields). */
export function tensorValues(t: OnnxTensor): Float32Array | number[] {
  const count = t.dims.reduce((a, d) => a * Number(d), 1);
  if (t.dataLocation === 1) throw new OnnxError(`initializer '${t.name}' keeps its data in an external file, which is not supported`);
  if (t.dataType === DataType.FLOAT) {
    if (t.rawData.length) {
      if (t.rawData.length !== count * 4) throw new OnnxError(`initializer '${t.name}' has ${t.rawData.length} bytes, expected ${count * 4}`);
      // ONNX raw data is little-endian: on a little-endian host one aligned copy is the tensor
      // (a per-value DataView loop was most of what importing a model cost in a fresh isolate).
      if (LITTLE_ENDIAN) return new Float32Array(t.rawData.slice().buffer);
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    if (t.floatData.length !== count) throw new OnnxError(`initializer '${t.name}' has ${t.floatData.length} values, expected ${count}`);
    return Float32Array.from(t.floatData);
  }
  if (t.dataType === DataType.INT64) {
    if (t.rawData.length) {
      if (t.rawData.length !== count * 8) throw new OnnxError(`initializer '${t.name}' has ${t.rawData.length} bytes, expected ${count * 8}`);
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return t.int64Data.map(Number);
  }
  throw new OnnxError(`initializer '${t.name}' has data type ${enumName(DataType, t.dataType) ?? t.dataType}; only FLOAT (and INT64 shapes) are supported`);
}

export function dimsOf(t: OnnxTensor): number[] {
  return t.dims.map(Number);
}

type AttrValue = number | number[] | string;
/** Attributes by name: integers (as numbers), floats, int lists, strings. */
export type Attrs = Record<string, AttrValue>;

export function node(opType: string, name: string, inputs: string[], outputs: string[], attrs: Attrs = {}, floatAttrs: string[] = []): NodeInit {
  const attribute = Object.entries(attrs).map(([k, v]) => attr(k, v, floatAttrs.includes(k)));
  return { opType, name, input: inputs, output: outputs, attribute };
}

function attr(name: string, v: AttrValue, isFloat: boolean): AttributeInit {
  // encode() returns an ArrayBuffer-backed array (WHATWG Encoding); workers-types declares it ArrayBufferLike.
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) as Uint8Array<ArrayBuffer> };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v.map(BigInt) };
  if (isFloat) return { name, type: AttrType.FLOAT, f: v };
  return { name, type: AttrType.INT, i: BigInt(v) };
}

/** Reads a node's attributes into plain values. */
export function readAttrs(n: OnnxNode): Attrs {
  const out: Attrs = {};
  for (const a of n.attribute) {
    switch (a.type) {
      case AttrType.INT:
        out[a.name] = Number(a.i);
        break;
      case AttrType.FLOAT:
        out[a.name] = a.f;
        break;
      case AttrType.INTS:
        out[a.name] = a.ints.map(Number);
        break;
      case AttrType.STRING:
        out[a.name] = new TextDecoder().decode(a.s);
        break;
      default:
        throw new OnnxError(`node '${n.name || n.opType}': attribute '${a.name}' of type ${enumName(AttrType, a.type) ?? a.type} is not supported`);
    }
  }
  return out;
}

/** A float tensor graph input/output with a symbolic batch dimension. */
export function floatValueInfo(name: string, shape: ReadonlyArray<number | string>): ValueInfoInit {
  const dim = shape.map((d) => ({ value: typeof d === 'string' ? { case: 'dimParam' as const, value: d } : { case: 'dimValue' as const, value: BigInt(d) } }));
  return { name, type: { value: { case: 'tensorType', value: { elemType: DataType.FLOAT, shape: { dim } } } } };
}

/** The element type and shape of a graph input/output (symbolic dimensions as -1). */
export function valueShape(v: OnnxValueInfo): { elemType: number; shape: number[] } {
  if (v.type?.value.case !== 'tensorType') throw new OnnxError(`graph value '${v.name}' is not a tensor`);
  const t = v.type.value.value;
  return {
    elemType: t.elemType,
    shape: (t.shape?.dim ?? []).map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : -1)),
  };
}

export { AttrType, DataType };
