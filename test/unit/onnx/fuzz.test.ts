import { clone, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeProto_AttributeType as AttrType, AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema, ValueInfoProtoSchema, StringStringEntryProtoSchema, TensorShapeProto_DimensionSchema,
  type ModelProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../scripts/lib/digit-synth.ts';
import { int, jsonValue, mutateBytes, pick, unicodeString, type Random } from '../../../scripts/lib/fuzz/mutate.ts';
import { Network } from '../../../src/nn/network.ts';
import { exportOnnx, importOnnx, META_SPEC, META_WEIGHTS_SHA256, OnnxError } from '../../../src/onnx/index.ts';
import { supportedShapes } from './random-networks.ts';

// The ONNX importer fed seeded mutations of real models (every layer type the core exports, and the
// bundled digits model): byte-level ones, and ones that know the format (shapes, data types, raw
// data, operators, wiring, attributes, metadata, opsets). Every model either imports into a network
// that runs, or is refused with OnnxError; never another error, a hang, or a huge allocation.
// A failure names its trial; `rng(SEED + trial)` rebuilds it.

const SEED = Number(process.env.ONNX_FUZZ_SEED ?? 0x0a11);
const TRIALS = Number(process.env.ONNX_FUZZ_TRIALS ?? 2500);

type Mutation = (m: ModelProto, random: Random) => string;

const bigDims = [0n, -1n, 1n, 2n, 3n, 7n, 1_000_000n, 2n ** 31n, 2n ** 53n, 2n ** 62n];
const OPS = ['Gemm', 'MatMul', 'Add', 'Conv', 'MaxPool', 'AveragePool', 'Flatten', 'Reshape', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'Identity', 'Dropout', 'BatchNormalization', 'Mul', 'Constant', 'LSTM', '', 'gemm'];

/** Mutations that know the ONNX format; each changes the parsed model in place and says what it did. */
const STRUCTURED: Record<string, Mutation> = {
  'input dimension': (m, random) => {
    const dims = m.graph!.input[0]?.type?.value.case === 'tensorType' ? m.graph!.input[0].type.value.value.shape?.dim ?? [] : [];
    if (!dims.length) return 'no input shape';
    const k = int(random, dims.length);
    dims[k] = create(TensorShapeProto_DimensionSchema, random() < 0.2 ? { value: { case: 'dimParam', value: unicodeString(random, 3) } } : { value: { case: 'dimValue', value: pick(random, bigDims) } });
    return `input dim ${k}`;
  },
  'input element type': (m, random) => {
    const t = m.graph!.input[0]?.type?.value;
    if (t?.case === 'tensorType') t.value.elemType = pick(random, [0, 2, 7, 10, 11, 16, 99]);
    return 'input element type';
  },
  'initializer dims': (m, random) => {
    const t = pick(random, m.graph!.initializer);
    if (random() < 0.3) t.dims.push(pick(random, bigDims));
    else if (t.dims.length) t.dims[int(random, t.dims.length)] = pick(random, bigDims);
    return `dims of ${t.name}`;
  },
  'initializer data': (m, random) => {
    const t = pick(random, m.graph!.initializer);
    const kind = int(random, 6);
    if (kind === 0) t.rawData = t.rawData.slice(0, int(random, t.rawData.length));
    if (kind === 1) t.rawData = Uint8Array.from([...t.rawData, ...new Uint8Array(1 + int(random, 8))]);
    if (kind === 2) {
      t.floatData = Array.from(new Float32Array(t.rawData.slice().buffer)).slice(0, random() < 0.5 ? undefined : -1);
      t.rawData = new Uint8Array(0);
    }
    if (kind === 3) t.dataType = pick(random, [0, 2, 6, 7, 8, 10, 11]);
    if (kind === 4) t.dataLocation = 1;
    if (kind === 5) t.rawData = new Uint8Array(0);
    return `data of ${t.name} (${kind})`;
  },
  'node operator': (m, random) => {
    const n = pick(random, m.graph!.node);
    n.opType = pick(random, OPS);
    return `operator of ${n.name} -> ${n.opType}`;
  },
  'node wiring': (m, random) => {
    const n = pick(random, m.graph!.node);
    const names = [...m.graph!.node.flatMap((x) => x.output), ...m.graph!.initializer.map((t) => t.name), 'input', 'nowhere', ''];
    const kind = int(random, 4);
    if (kind === 0 && n.input.length) n.input[int(random, n.input.length)] = pick(random, names);
    if (kind === 1) n.input.pop();
    if (kind === 2) n.input.push(pick(random, names));
    if (kind === 3) n.output[0] = pick(random, names);
    return `wiring of ${n.name} (${kind})`;
  },
  'node order': (m, random) => {
    const nodes = m.graph!.node;
    const [i, j] = [int(random, nodes.length), int(random, nodes.length)];
    const kind = int(random, 3);
    if (kind === 0) [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
    if (kind === 1) nodes.splice(i, 1);
    if (kind === 2) nodes.splice(i, 0, clone(NodeProtoSchema, nodes[j]));
    return `node order (${kind})`;
  },
  attribute: (m, random) => {
    const withAttrs = m.graph!.node.filter((n) => n.attribute.length);
    if (!withAttrs.length) return 'no attributes';
    const a = pick(random, pick(random, withAttrs).attribute);
    const kind = int(random, 5);
    if (kind === 0) a.ints = pick(random, [[], [0n, 0n], [-3n, -3n], [1_000_000n, 1_000_000n], [3n], [1n, 2n, 3n, 4n, 5n, 6n], [2n ** 40n, 1n]]);
    if (kind === 1) a.i = pick(random, [0n, -1n, 2n, 5n, 2n ** 40n]);
    if (kind === 2) a.f = pick(random, [Number.NaN, Infinity, -1, 0, 1e30]);
    if (kind === 3) a.type = pick(random, [AttrType.FLOAT, AttrType.INT, AttrType.INTS, AttrType.STRING, AttrType.TENSOR, 99 as AttrType]);
    if (kind === 4) a.name = pick(random, ['kernel_shape', 'strides', 'pads', 'axis', 'transB', 'epsilon', unicodeString(random, 4)]);
    return `attribute ${a.name} (${kind})`;
  },
  'extra attribute': (m, random) => {
    const n = pick(random, m.graph!.node);
    n.attribute.push(create(AttributeProtoSchema, { name: pick(random, ['kernel_shape', 'strides', 'pads', 'axis', 'transA', 'alpha']), type: AttrType.INTS, ints: [0n, 9n] }));
    return `extra attribute on ${n.name}`;
  },
  'metadata spec': (m, random) => {
    const entry = m.metadataProps.find((p) => p.key === META_SPEC);
    const spec = entry ? (JSON.parse(entry.value) as { input: unknown[]; layers: Array<Record<string, unknown>> }) : null;
    let value: string;
    const kind = int(random, 4);
    if (kind === 0 || !spec) value = pick(random, ['', '{', 'null', '[]', JSON.stringify(jsonValue(random, 3))]);
    else if (kind === 1) {
      const layer = pick(random, spec.layers);
      layer[pick(random, ['rate', 'units', 'size', 'stride', 'padding', 'kernel', 'filters', 'fn', 'type', 'momentum', 'eps'])] = jsonValue(random, 1);
      value = JSON.stringify(spec);
    } else if (kind === 2) {
      spec.layers.splice(int(random, spec.layers.length + 1), 0, pick(random, [{ type: 'dropout', rate: pick(random, [0.5, 2, -1, 'x', null]) }, { type: 'bogus' }, { type: 'flatten' }]));
      value = JSON.stringify(spec);
    } else {
      spec.input = pick(random, [[], [0], [-1], ['784'], [1e9], [784, 1]]);
      value = JSON.stringify(spec);
    }
    if (entry) entry.value = value;
    else m.metadataProps.push(create(StringStringEntryProtoSchema, { key: META_SPEC, value }));
    return `metadata spec (${kind})`;
  },
  'weights sha256': (m, random) => {
    const entry = m.metadataProps.find((p) => p.key === META_WEIGHTS_SHA256);
    if (entry) entry.value = pick(random, ['', '00'.repeat(32), entry.value.toUpperCase(), unicodeString(random)]);
    return 'weights sha256';
  },
  opset: (m, random) => {
    if (random() < 0.5) m.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: pick(random, ['com.microsoft', 'ai.onnx.ml', unicodeString(random, 5)]), version: 1n }));
    else if (m.opsetImport.length) m.opsetImport[0].version = pick(random, [0n, -1n, 1n, 99n]);
    return 'opset';
  },
  'node domain': (m, random) => {
    pick(random, m.graph!.node).domain = pick(random, ['com.microsoft', 'ai.onnx', 'x']);
    return 'node domain';
  },
  'graph outputs': (m, random) => {
    const g = m.graph!;
    const kind = int(random, 3);
    if (kind === 0 && g.output.length) g.output[0].name = pick(random, ['nowhere', g.node[0]?.output[0] ?? 'x', '']);
    if (kind === 1) g.output.push(clone(ValueInfoProtoSchema, g.output[0] ?? g.input[0]));
    if (kind === 2) g.output.length = 0;
    return `graph outputs (${kind})`;
  },
  'graph inputs': (m, random) => {
    const g = m.graph!;
    if (random() < 0.5) g.input.push(g.input[0]);
    else g.input.length = 0;
    return 'graph inputs';
  },
};

async function sources(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const exported = await Promise.all(supportedShapes().map(async ({ name, spec }) => ({ name, bytes: await exportOnnx(new Network(spec, { seed: 5 })) })));
  const digits = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
  return [...exported, { name: 'the bundled digits model', bytes: digits }];
}

function mutate(bytes: Uint8Array, random: Random): { how: string; bytes: Uint8Array } {
  if (random() < 0.35) return mutateBytes(bytes, random);
  const model = fromBinary(ModelProtoSchema, bytes);
  const hows: string[] = [];
  for (let k = 1 + int(random, random() < 0.7 ? 1 : 3); k > 0; k--) {
    const name = pick(random, Object.keys(STRUCTURED));
    try {
      hows.push(STRUCTURED[name](model, random));
    } catch {
      hows.push(`${name}: nothing to mutate`); // an earlier mutation removed what this one changes
    }
  }
  return { how: hows.join(', '), bytes: toBinary(ModelProtoSchema, model) };
}

describe('fuzzing the ONNX importer', () => {
  it(`${TRIALS} mutated models: a network that runs, or an OnnxError; never another error, a hang or a huge allocation`, async () => {
    const models = await sources();
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    let slowest = 0;
    let grew = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const random = rng(SEED + trial);
      // The bundled model is 2.5 MB: one trial in ten, so the run stays short.
      const source = random() < 0.1 ? models[models.length - 1] : pick(random, models.slice(0, -1));
      const { how, bytes } = mutate(source.bytes, random);
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      let outcome: string;
      try {
        const { network } = await importOnnx(bytes);
        const size = network.spec().input.reduce((a, b) => a * b, 1);
        // A model that imports must run (its input may be declared absurdly large: then it is not run here).
        if (size <= 1 << 20) await network.predict(new Float32Array(size));
        outcome = 'imported';
      } catch (e) {
        if (!(e instanceof OnnxError)) failures.push(`trial ${trial} (${source.name}; ${how}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
        outcome = e instanceof OnnxError ? 'OnnxError' : 'other';
      }
      slowest = Math.max(slowest, performance.now() - t0);
      grew = Math.max(grew, process.memoryUsage().arrayBuffers - before);
      const key = `${how.replace(/ \(.*|of .*| -> .*/g, '').trim()}: ${outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    if (process.env.FUZZ_REPORT) console.log([...outcomes].sort().map(([k, n]) => `${k} x${n}`).join("\n"));
    expect(failures.slice(0, 20)).toEqual([]);
    expect([...outcomes.keys()].filter((k) => k.endsWith('OnnxError')).length).toBeGreaterThan(10);
    expect([...outcomes.keys()].some((k) => k.endsWith('imported'))).toBe(true);
    expect(slowest).toBeLessThan(5000);
    // Nothing allocates far beyond the bundled model's own size (2.5 MB raw, about 4x that while importing).
    expect(grew).toBeLessThan(64 << 20);
  });
});

describe('regressions found by fuzzing the importer', () => {
  const spec = supportedShapes().find((s) => s.name.startsWith('conv'))!.spec;
  const edited = async (edit: (m: ModelProto) => void) => {
    const model = fromBinary(ModelProtoSchema, await exportOnnx(new Network(spec, { seed: 5 })));
    edit(model);
    return toBinary(ModelProtoSchema, model);
  };
  const attribute = (m: ModelProto, op: string, name: string) => m.graph!.node.find((n) => n.opType === op)!.attribute.find((a) => a.name === name)!;

  it('metadata declaring a dropout rate the core cannot build (2): OnnxError, not Error', async () => {
    const bytes = await edited((m) => {
      const entry = m.metadataProps.find((p) => p.key === META_SPEC)!;
      entry.value = entry.value.replace('"rate":0.5', '"rate":2');
    });
    await expect(importOnnx(bytes)).rejects.toThrow(OnnxError);
    await expect(importOnnx(bytes)).rejects.toThrow(/cannot be built: dropout rate/);
  });

  it('BatchNormalization with fewer than 5 inputs: OnnxError, not TypeError', async () => {
    const bytes = await edited((m) => m.graph!.node.find((n) => n.opType === 'BatchNormalization')!.input.pop());
    await expect(importOnnx(bytes)).rejects.toThrow(/expected 5 inputs/);
  });

  it('Conv pads given as one integer, pooling kernel_shape as one integer: OnnxError naming the attribute', async () => {
    const pads = await edited((m) => Object.assign(attribute(m, 'Conv', 'pads'), { type: AttrType.INT, i: 1n }));
    await expect(importOnnx(pads)).rejects.toThrow(/attribute 'pads' must be a list of 4 integers, got 1/);
    const kernel = await edited((m) => Object.assign(attribute(m, 'MaxPool', 'kernel_shape'), { type: AttrType.INT, i: 2n }));
    await expect(importOnnx(kernel)).rejects.toThrow(/attribute 'kernel_shape' must be a list of 2 integers/);
    const epsilon = await edited((m) => Object.assign(attribute(m, 'BatchNormalization', 'epsilon'), { type: AttrType.INTS, ints: [1n] }));
    await expect(importOnnx(epsilon)).rejects.toThrow(/attribute 'epsilon' must be a finite number/);
  });
});
