import { fromBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { readFileSync } from 'node:fs';
import {
  AttributeProto_AttributeTypeSchema, AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema, TensorProto_DataLocationSchema, TensorProto_DataTypeSchema, TensorProtoSchema, TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema,
  type AttributeProto, type ModelProto, type TensorProto, type ValueInfoProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../scripts/lib/digit-synth.ts';
import { mutateBytes } from '../../../scripts/lib/fuzz/mutate.ts';
import { Network } from '../../../src/nn/network.ts';
import { exportOnnx } from '../../../src/onnx/export.ts';
import { AttrType, DataType, decodeModel, type OnnxModel } from '../../../src/onnx/wire.ts';
import { supportedShapes } from './random-networks.ts';

// The ONNX decoder against @bufbuild/protobuf's fromBinary with onnx-buf's schema (the reference):
// on every model in the repository, every layer type the core exports, merged and hand-encoded
// messages, and mutated bytes, it keeps exactly what fromBinary reads into the same fields, and it
// refuses only bytes that fromBinary refuses too.

/** fromBinary's model, cut to the fields wire.ts keeps. */
function kept(m: ModelProto): OnnxModel {
  const tensor = (t: TensorProto) => ({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: t.rawData, floatData: t.floatData, int64Data: t.int64Data, dataLocation: t.dataLocation });
  const attribute = (a: AttributeProto) => ({ name: a.name, type: a.type, f: a.f, i: a.i, s: a.s, ...(a.t ? { t: tensor(a.t) } : {}), ints: a.ints });
  const valueInfo = (v: ValueInfoProto) => {
    if (!v.type) return { name: v.name };
    const t = v.type.value;
    if (t.case !== 'tensorType') return { name: v.name, type: { value: { case: t.case } } };
    const shape = t.value.shape ? { shape: { dim: t.value.shape.dim.map((d) => ({ value: d.value.case ? { case: d.value.case, value: d.value.value } : { case: undefined } })) } } : {};
    return { name: v.name, type: { value: { case: 'tensorType', value: { elemType: t.value.elemType, ...shape } } } };
  };
  const g = m.graph;
  return {
    irVersion: m.irVersion, producerName: m.producerName, producerVersion: m.producerVersion, docString: m.docString,
    opsetImport: m.opsetImport.map((o) => ({ domain: o.domain, version: o.version })),
    metadataProps: m.metadataProps.map((p) => ({ key: p.key, value: p.value })),
    ...(g ? {
      graph: {
        name: g.name,
        node: g.node.map((n) => ({ input: n.input, output: n.output, name: n.name, opType: n.opType, domain: n.domain, attribute: n.attribute.map(attribute) })),
        initializer: g.initializer.map(tensor), input: g.input.map(valueInfo), output: g.output.map(valueInfo),
      },
    } : {}),
  } as OnnxModel;
}

/** Plain values for toEqual: a Uint8Array compares by its bytes, whatever buffer it views. */
const plain = (m: OnnxModel) => JSON.parse(JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));

function agrees(bytes: Uint8Array): 'both' | 'refused' | 'reference only' {
  let reference: ModelProto | undefined;
  try {
    reference = fromBinary(ModelProtoSchema, bytes);
  } catch {
    // fromBinary reads every field: a field this decoder skips may be what it refuses.
  }
  let decoded: OnnxModel;
  try {
    decoded = decodeModel(bytes);
  } catch (e) {
    if (reference) throw new Error(`decodeModel refused what fromBinary reads: ${(e as Error).message}`);
    return 'refused';
  }
  if (!reference) return 'reference only';
  expect(plain(decoded)).toEqual(plain(kept(reference)));
  return 'both';
}

const repositoryModels = ['models/digits.onnx', 'models/digits-mlp.onnx', 'models/digits-cnn.onnx'].map((f) => ({ f, bytes: new Uint8Array(readFileSync(f)) }));

describe('decodeModel against fromBinary', () => {
  it("reads the field numbers and enum values of onnx-buf's schema", () => {
    const numbers: Array<[{ field: Record<string, { number: number }> }, Record<string, number>]> = [
      [ModelProtoSchema, { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 }],
      [GraphProtoSchema, { node: 1, name: 2, initializer: 5, input: 11, output: 12 }],
      [NodeProtoSchema, { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 }],
      [AttributeProtoSchema, { name: 1, f: 2, i: 3, s: 4, t: 5, ints: 8, type: 20 }],
      [TensorProtoSchema, { dims: 1, dataType: 2, floatData: 4, int64Data: 7, name: 8, rawData: 9, dataLocation: 14 }],
      [ValueInfoProtoSchema, { name: 1, type: 2 }],
      [TypeProtoSchema, { tensorType: 1, sequenceType: 4, mapType: 5, optionalType: 9, sparseTensorType: 8 }],
      [TypeProto_TensorSchema, { elemType: 1, shape: 2 }],
      [TensorShapeProtoSchema, { dim: 1 }],
      [TensorShapeProto_DimensionSchema, { dimValue: 1, dimParam: 2 }],
      [OperatorSetIdProtoSchema, { domain: 1, version: 2 }],
      [StringStringEntryProtoSchema, { key: 1, value: 2 }],
    ];
    for (const [schema, fields] of numbers) for (const [name, no] of Object.entries(fields)) expect(schema.field[name].number).toBe(no);
    const values = (e: { values: Array<{ name: string; number: number }> }) => Object.fromEntries(e.values.map((v) => [v.name, v.number]));
    expect(values(AttributeProto_AttributeTypeSchema)).toEqual(AttrType);
    expect(values(TensorProto_DataTypeSchema)).toMatchObject(DataType);
    expect(values(TensorProto_DataLocationSchema)).toEqual({ DEFAULT: 0, EXTERNAL: 1 });
  });

  it.each(repositoryModels)('keeps what fromBinary reads of $f', ({ bytes }) => {
    expect(agrees(bytes)).toBe('both');
  });

  it('keeps what fromBinary reads of every layer type the core exports', async () => {
    for (const { spec } of supportedShapes()) expect(agrees(await exportOnnx(new Network(spec, { seed: 5 })))).toBe('both');
  });

  it('merges a message given twice (two models concatenated) as fromBinary does', async () => {
    const [a, b] = await Promise.all(supportedShapes().slice(0, 2).map(({ spec }) => exportOnnx(new Network(spec, { seed: 1 }))));
    const both = new Uint8Array([...a, ...b]);
    expect(agrees(both)).toBe('both');
    expect(decodeModel(both).graph!.node.length).toBe(decodeModel(a).graph!.node.length + decodeModel(b).graph!.node.length);
  });

  it('reads packed numbers, groups and unknown fields, other type kinds, and closed enums as fromBinary does', () => {
    const w = new BinaryWriter();
    // An initializer with packed dims and float_data and an out-of-range data_location (ignored).
    const tensor = new BinaryWriter().tag(1, WireType.LengthDelimited).fork().int64(2).int64(3).join()
      .tag(2, WireType.Varint).int32(1).tag(4, WireType.LengthDelimited).fork().float(1).float(2).float(3).float(4).float(5).float(6).join()
      .tag(8, WireType.LengthDelimited).string('w').tag(14, WireType.Varint).int32(7).finish();
    // An attribute with ints unpacked then packed, a type outside the enum, and an unknown group.
    const attribute = new BinaryWriter().tag(1, WireType.LengthDelimited).string('pads').tag(8, WireType.Varint).int64(1).tag(8, WireType.Varint).int64(-2)
      .tag(8, WireType.LengthDelimited).fork().int64(3).int64(4).join()
      .tag(20, WireType.Varint).int32(99).tag(99, WireType.StartGroup).tag(1, WireType.Varint).int32(5).tag(99, WireType.EndGroup).finish();
    const node = new BinaryWriter().tag(4, WireType.LengthDelimited).string('Conv').tag(5, WireType.LengthDelimited).bytes(attribute).finish();
    // An input of sequence type, then one of tensor type given in two parts (merged).
    const seq = new BinaryWriter().tag(1, WireType.LengthDelimited).string('s').tag(2, WireType.LengthDelimited).bytes(new BinaryWriter().tag(4, WireType.LengthDelimited).bytes(new Uint8Array(0)).finish()).finish();
    const tensorType = (part: Uint8Array) => new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(part).finish();
    const x = new BinaryWriter().tag(1, WireType.LengthDelimited).string('x')
      .tag(2, WireType.LengthDelimited).bytes(tensorType(new BinaryWriter().tag(1, WireType.Varint).int32(1).finish()))
      .tag(2, WireType.LengthDelimited).bytes(tensorType(new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new BinaryWriter().tag(2, WireType.LengthDelimited).string('N').finish()).finish()).finish())).finish();
    const graph = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(node).tag(5, WireType.LengthDelimited).bytes(tensor)
      .tag(11, WireType.LengthDelimited).bytes(seq).tag(11, WireType.LengthDelimited).bytes(x).tag(12345, WireType.Bit64).fixed64(1).finish();
    w.tag(7, WireType.LengthDelimited).bytes(graph).tag(1, WireType.Varint).int64(9);
    const bytes = w.finish();
    expect(agrees(bytes)).toBe('both');
    const m = decodeModel(bytes);
    expect(m.graph!.initializer[0].floatData).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.graph!.initializer[0].dataLocation).toBe(0);
    expect(m.graph!.node[0].attribute[0]).toMatchObject({ ints: [1n, -2n, 3n, 4n], type: AttrType.UNDEFINED });
    expect(m.graph!.input.map((v) => v.type?.value.case)).toEqual(['sequenceType', 'tensorType']);
  });

  it('refuses only what fromBinary refuses, and agrees on the rest, over mutated bytes', async () => {
    const small = await exportOnnx(new Network(supportedShapes()[5].spec, { seed: 3 }));
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < 400; trial++) {
      const random = rng(20261205 + trial);
      const source = trial % 4 === 0 ? repositoryModels[0].bytes : small;
      const { bytes } = mutateBytes(source, random);
      const outcome = agrees(bytes);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    // Both kinds of outcome occur: the mutations reach the decoder's refusals and its reading.
    expect(outcomes.both).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
  });

  it('refuses truncated bytes, and groups nested deeper than fromBinary allows', () => {
    const bytes = repositoryModels[0].bytes;
    for (const end of [1, 10, 100, 1000, bytes.length - 1]) expect(() => decodeModel(bytes.subarray(0, end))).toThrow();
    const deep = new BinaryWriter();
    for (let i = 0; i < 150; i++) deep.tag(99, WireType.StartGroup);
    for (let i = 0; i < 150; i++) deep.tag(99, WireType.EndGroup);
    expect(agrees(deep.finish())).toBe('refused');
  });
});
