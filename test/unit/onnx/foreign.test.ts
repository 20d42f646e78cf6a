import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/nn/rng.ts';
import { importOnnx, OnnxError } from '../../../src/onnx/index.ts';
import { AttrType, floatTensor, floatValueInfo, int64Tensor, node, type NodeInit, type TensorInit } from '../../../src/onnx/proto.ts';

/** A model written the way other exporters write it (PyTorch's MatMul/Add, Reshape, Constant...). */
function model(nodes: NodeInit[], inits: TensorInit[], input: number[], output: number[], opset = 17): Uint8Array {
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    producerName: 'elsewhere',
    graph: create(GraphProtoSchema, {
      name: 'foreign', node: nodes, initializer: inits,
      input: [floatValueInfo('x', ['N', ...input])], output: [floatValueInfo('y', ['N', ...output])],
    }),
  }));
}

const rng = new Rng(3);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal(0, 0.5));

async function agreesWithOrt(bytes: Uint8Array, inputShape: number[]): Promise<void> {
  const { network } = await importOnnx(bytes);
  const n = 5;
  const x = rand(n * inputShape.reduce((a, b) => a * b, 1));
  const session = await ort.InferenceSession.create(bytes);
  const expected = (await session.run({ x: new ort.Tensor('float32', x, [n, ...inputShape]) })).y.data as Float32Array;
  const got = await network.predict(x);
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-5);
}

describe('importing models from other exporters', () => {
  it('MatMul + Add dense layers, Relu, Dropout and Identity nodes, Softmax', async () => {
    const bytes = model(
      [
        node('MatMul', 'mm0', ['x', 'W0'], ['h0']), node('Add', 'add0', ['h0', 'b0'], ['z0']), node('Relu', 'r', ['z0'], ['a0']),
        node('Dropout', 'drop', ['a0'], ['d0']), node('Identity', 'id', ['d0'], ['i0']),
        node('Gemm', 'g1', ['i0', 'W1', 'b1'], ['z1']), node('Softmax', 's', ['z1'], ['y'], { axis: 1 }),
      ],
      [floatTensor('W0', [6, 5], rand(30)), floatTensor('b0', [5], rand(5)), floatTensor('W1', [5, 3], rand(15)), floatTensor('b1', [3], rand(3))],
      [6], [3],
    );
    await agreesWithOrt(bytes, [6]);
  });

  it('Conv without bias, Reshape to [-1, k] from a Constant node, MatMul without bias', async () => {
    const constant = node('Constant', 'c', [], ['shape']);
    constant.attribute.push({ name: 'value', type: AttrType.TENSOR, t: int64Tensor('', [2], [-1, 2 * 3 * 3]) });
    const bytes = model(
      [
        node('Conv', 'conv', ['x', 'K'], ['c0'], { kernel_shape: [3, 3], pads: [0, 0, 0, 0] }), node('Tanh', 't', ['c0'], ['a0']),
        constant, node('Reshape', 'flat', ['a0', 'shape'], ['f0']), node('MatMul', 'mm', ['f0', 'W'], ['y']),
      ],
      [floatTensor('K', [2, 1, 3, 3], rand(18)), floatTensor('W', [18, 4], rand(72))],
      [1, 5, 5], [4],
    );
    await agreesWithOrt(bytes, [1, 5, 5]);
  });

  it('refuses what the core cannot represent, naming the operator', async () => {
    const lstm = model([node('LSTM', 'rnn', ['x', 'W', 'R'], ['y'], { hidden_size: 2 })], [floatTensor('W', [1, 8, 3], rand(24)), floatTensor('R', [1, 8, 2], rand(16))], [3], [2]);
    await expect(importOnnx(lstm)).rejects.toThrow(/unsupported ONNX operator 'LSTM'/);
    const grouped = model([node('Conv', 'g', ['x', 'K'], ['y'], { kernel_shape: [1, 1], group: 2 })], [floatTensor('K', [2, 1, 1, 1], rand(2))], [2, 3, 3], [2, 3, 3]);
    await expect(importOnnx(grouped)).rejects.toThrow(/grouped convolution/);
    const branching = model(
      [node('Relu', 'a', ['x'], ['h']), node('Add', 'skip', ['h', 'x'], ['y'])], [], [4], [4],
    );
    await expect(importOnnx(branching)).rejects.toThrow(OnnxError);
  });
});
