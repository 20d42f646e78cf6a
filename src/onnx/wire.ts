import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/**
 * The parts of ONNX's protobuf messages (onnx.proto, proto2) that Nutshell reads and writes, and
 * the decoder of a ModelProto into them.
 *
 * Why a decoder of its own: onnx-buf's schemas are booted by @bufbuild/protobuf's reflection when
 * the module is evaluated, about 18 ms of CPU in a fresh Worker isolate, before any model is read;
 * this one reads the same bytes with the library's wire reader alone and costs nothing at start.
 * It decodes as @bufbuild/protobuf's `fromBinary` does (field numbers and types from onnx.proto,
 * packed or unpacked repeated numbers, repeated messages merged, the last scalar winning, closed
 * enums ignoring values they do not name, oneofs), but keeps only the fields below and skips the
 * others; test/unit/onnx/wire.test.ts checks it against `fromBinary` on every model in the
 * repository and on mutated ones. Writing goes through onnx-buf (encode.ts), loaded when a model
 * is first exported.
 */

/** TensorProto.DataType: the element types the core reads (FLOAT) or meets (INT64 shapes). */
export const DataType = { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16 } as const;
/** AttributeProto.AttributeType, a closed enum: a value it does not name leaves the field UNDEFINED. */
export const AttrType = { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14 } as const;
/** TensorProto.DataLocation, a closed enum. */
const DATA_LOCATIONS = new Set([0, 1]);
const ATTR_TYPES = new Set<number>(Object.values(AttrType));

/** The name of a DataType or AttrType number, for messages (undefined when it names none). */
export function enumName(values: Record<string, number>, n: number): string | undefined {
  return Object.keys(values).find((k) => values[k] === n);
}

export interface OnnxTensor {
  name: string;
  dims: bigint[];
  dataType: number;
  rawData: Uint8Array;
  floatData: number[];
  int64Data: bigint[];
  /** 1: EXTERNAL (the data lives in another file). */
  dataLocation: number;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f: number;
  i: bigint;
  s: Uint8Array;
  t?: OnnxTensor;
  ints: bigint[];
}

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttribute[];
}

export type OnnxDimension = { value: { case: 'dimValue'; value: bigint } | { case: 'dimParam'; value: string } | { case: undefined; value?: undefined } };

export interface OnnxTensorType {
  elemType: number;
  shape?: { dim: OnnxDimension[] };
}

/** TypeProto's `value` oneof: only a tensor's type is kept; another kind is named, its content skipped. */
export type OnnxType = { value: { case: 'tensorType'; value: OnnxTensorType } | { case: 'sequenceType' | 'mapType' | 'optionalType' | 'sparseTensorType'; value?: undefined } | { case: undefined; value?: undefined } };

export interface OnnxValueInfo {
  name: string;
  type?: OnnxType;
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: bigint;
  producerName: string;
  producerVersion: string;
  docString: string;
  opsetImport: Array<{ domain: string; version: bigint }>;
  metadataProps: Array<{ key: string; value: string }>;
  graph?: OnnxGraph;
}

/** fromBinary's default nesting limit: deeper input is refused, not recursed into. */
const RECURSION_LIMIT = 100;

/**
 * Decodes ModelProto bytes; malformed ones throw (the reader's own errors: premature EOF,
 * invalid varint, wrong end-group tag, too deep).
 *
 * @example
 * const model = decodeModel(bytes); // model.graph?.node[0].opType === 'Gemm'
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const r = new BinaryReader(bytes);
  const model: OnnxModel = { irVersion: 0n, producerName: '', producerVersion: '', docString: '', opsetImport: [], metadataProps: [] };
  readFields(r, r.len, 0, (no) => {
    switch (no) {
      case 1: model.irVersion = int64(r); return true;
      case 2: model.producerName = r.string(); return true;
      case 3: model.producerVersion = r.string(); return true;
      case 6: model.docString = r.string(); return true;
      case 7: model.graph = readMessage(r, 1, model.graph ?? emptyGraph(), readGraph); return true;
      case 8: model.opsetImport.push(readMessage(r, 1, { domain: '', version: 0n }, readOpset)); return true;
      case 14: model.metadataProps.push(readMessage(r, 1, { key: '', value: '' }, readEntry)); return true;
    }
    return false;
  });
  return model;
}

type Reader<T> = (r: BinaryReader, end: number, depth: number, into: T) => void;

/** A length-delimited message field, read in place (merging into `into`), as fromBinary does. */
function readMessage<T>(r: BinaryReader, depth: number, into: T, read: Reader<T>): T {
  if (depth >= RECURSION_LIMIT) throw new Error('maximum recursion depth reached');
  const length = r.uint32();
  read(r, r.pos + length, depth, into);
  return into;
}

/** Reads tags up to `end`; `field` reads a known field and returns true, else the field is skipped. */
function readFields(r: BinaryReader, end: number, depth: number, field: (no: number, wt: WireType) => boolean): void {
  while (r.pos < end) {
    const [no, wt] = r.tag();
    if (!field(no, wt)) r.skip(wt, no, RECURSION_LIMIT - depth);
  }
}

/** A closed enum's value, or undefined for one it does not name (which leaves the field as it was, as fromBinary does). */
function closedEnum(r: BinaryReader, values: ReadonlySet<number>): number | undefined {
  const n = r.int32();
  return values.has(n) ? n : undefined;
}

function int64(r: BinaryReader): bigint {
  return BigInt(r.int64());
}

/** A repeated number: packed (one length-delimited run) or one value per tag. */
function readRepeated<T>(r: BinaryReader, wt: WireType, into: T[], read: () => T): void {
  if (wt !== WireType.LengthDelimited) {
    into.push(read());
    return;
  }
  const end = r.uint32() + r.pos;
  while (r.pos < end) into.push(read());
}

const emptyGraph = (): OnnxGraph => ({ name: '', node: [], initializer: [], input: [], output: [] });
const emptyTensor = (): OnnxTensor => ({ name: '', dims: [], dataType: 0, rawData: new Uint8Array(0), floatData: [], int64Data: [], dataLocation: 0 });

const readOpset: Reader<{ domain: string; version: bigint }> = (r, end, depth, o) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) o.domain = r.string();
    else if (no === 2) o.version = int64(r);
    else return false;
    return true;
  });

const readEntry: Reader<{ key: string; value: string }> = (r, end, depth, e) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) e.key = r.string();
    else if (no === 2) e.value = r.string();
    else return false;
    return true;
  });

const readGraph: Reader<OnnxGraph> = (r, end, depth, g) =>
  readFields(r, end, depth, (no) => {
    switch (no) {
      case 1: g.node.push(readMessage(r, depth + 1, { input: [], output: [], name: '', opType: '', domain: '', attribute: [] }, readNode)); return true;
      case 2: g.name = r.string(); return true;
      case 5: g.initializer.push(readMessage(r, depth + 1, emptyTensor(), readTensor)); return true;
      case 11: g.input.push(readMessage(r, depth + 1, { name: '' }, readValueInfo)); return true;
      case 12: g.output.push(readMessage(r, depth + 1, { name: '' }, readValueInfo)); return true;
    }
    return false;
  });

const readNode: Reader<OnnxNode> = (r, end, depth, n) =>
  readFields(r, end, depth, (no) => {
    switch (no) {
      case 1: n.input.push(r.string()); return true;
      case 2: n.output.push(r.string()); return true;
      case 3: n.name = r.string(); return true;
      case 4: n.opType = r.string(); return true;
      case 5: n.attribute.push(readMessage(r, depth + 1, { name: '', type: 0, f: 0, i: 0n, s: new Uint8Array(0), ints: [] }, readAttribute)); return true;
      case 7: n.domain = r.string(); return true;
    }
    return false;
  });

const readAttribute: Reader<OnnxAttribute> = (r, end, depth, a) =>
  readFields(r, end, depth, (no, wt) => {
    switch (no) {
      case 1: a.name = r.string(); return true;
      case 2: a.f = r.float(); return true;
      case 3: a.i = int64(r); return true;
      case 4: a.s = r.bytes(); return true;
      case 5: a.t = readMessage(r, depth + 1, a.t ?? emptyTensor(), readTensor); return true;
      case 8: readRepeated(r, wt, a.ints, () => int64(r)); return true;
      case 20: a.type = closedEnum(r, ATTR_TYPES) ?? a.type; return true;
    }
    return false;
  });

const readTensor: Reader<OnnxTensor> = (r, end, depth, t) =>
  readFields(r, end, depth, (no, wt) => {
    switch (no) {
      case 1: readRepeated(r, wt, t.dims, () => int64(r)); return true;
      case 2: t.dataType = r.int32(); return true;
      case 4: readRepeated(r, wt, t.floatData, () => r.float()); return true;
      case 7: readRepeated(r, wt, t.int64Data, () => int64(r)); return true;
      case 8: t.name = r.string(); return true;
      case 9: t.rawData = r.bytes(); return true;
      case 14: t.dataLocation = closedEnum(r, DATA_LOCATIONS) ?? t.dataLocation; return true;
    }
    return false;
  });

const readValueInfo: Reader<OnnxValueInfo> = (r, end, depth, v) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) v.name = r.string();
    else if (no === 2) v.type = readMessage(r, depth + 1, v.type ?? { value: { case: undefined } }, readType);
    else return false;
    return true;
  });

/** TypeProto's oneof fields by number; a member read after another replaces it, the same one merges. */
const OTHER_TYPES: Record<number, 'sequenceType' | 'mapType' | 'optionalType' | 'sparseTensorType'> = { 4: 'sequenceType', 5: 'mapType', 9: 'optionalType', 8: 'sparseTensorType' };

const readType: Reader<OnnxType> = (r, end, depth, t) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) {
      const current = t.value.case === 'tensorType' ? t.value.value : { elemType: 0 };
      t.value = { case: 'tensorType', value: readMessage(r, depth + 1, current, readTensorType) };
    } else if (OTHER_TYPES[no]) {
      // Not read by Nutshell: its content is skipped, its kind kept (a graph value that is not a tensor).
      r.skip(WireType.LengthDelimited, no);
      t.value = { case: OTHER_TYPES[no] };
    } else return false;
    return true;
  });

const readTensorType: Reader<OnnxTensorType> = (r, end, depth, t) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) t.elemType = r.int32();
    else if (no === 2) t.shape = readMessage(r, depth + 1, t.shape ?? { dim: [] }, readShape);
    else return false;
    return true;
  });

const readShape: Reader<{ dim: OnnxDimension[] }> = (r, end, depth, s) =>
  readFields(r, end, depth, (no) => {
    if (no !== 1) return false;
    s.dim.push(readMessage(r, depth + 1, { value: { case: undefined } }, readDimension));
    return true;
  });

const readDimension: Reader<OnnxDimension> = (r, end, depth, d) =>
  readFields(r, end, depth, (no) => {
    if (no === 1) d.value = { case: 'dimValue', value: int64(r) };
    else if (no === 2) d.value = { case: 'dimParam', value: r.string() };
    else return false;
    return true;
  });
