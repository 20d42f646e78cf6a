import { imageToMnist } from '../../src/image/index.ts';
import { decodeBase64Image } from '../http/base64.ts';
import { MAX_INFER_BATCH, MAX_INFER_IMAGE_BYTES, MAX_INFER_IMAGE_PIXELS, PIXELS } from '../limits.ts';
import { InferenceError } from './errors.ts';
import type { InferenceRequest } from './spec.ts';

type RequestInput = InferenceRequest['inputs'][number];
type RequestOutput = NonNullable<InferenceRequest['outputs']>[number];
type ResponseOutput = { name: string; shape: number[]; datatype: 'FP32' | 'BYTES'; data: Array<number | string> };

/** What the model takes: its input's name, and one example's shape (without the batch). */
export interface ModelInput {
  name: string;
  shape: number[];
}

/** The examples of a request, one after another, and how many. */
export interface Batch {
  examples: number;
  values: Float32Array;
}

/** A shape as the messages write it: `[2, 784]`. */
const dims = (shape: ReadonlyArray<number | string>) => `[${shape.join(', ')}]`;

/** The largest finite float32: a JSON number beyond it cannot be an FP32 element. */
const FP32_MAX = 3.4028234663852886e38;

/** Decodes one base64 image into the model's 784 pixels (tests may pass their own). */
export type InferImageDecoder = (bytes: Uint8Array, contentType: string | undefined) => Float32Array;

/** src/image with the per-image pixel limit of a batch: what /v1/predict does to an image. */
export const decodeInferImage: InferImageDecoder = (bytes, contentType) => imageToMnist(bytes, { contentType, maxPixels: MAX_INFER_IMAGE_PIXELS }).pixels;

/**
 * The examples of an inference request's one input: an FP32 tensor shaped [N, ...the model's input
 * shape], its data flat or nested; or BYTES [N] (or [N, 1]) of base64 PNG/JPEG images, each
 * preprocessed into 784 pixels. N is from 1 to MAX_INFER_BATCH. 400 naming what is wrong otherwise.
 *
 * @example
 * const { examples, values } = readInput(request.inputs, { name: 'input', shape: [784] });
 */
export function readInput(inputs: readonly RequestInput[], model: ModelInput, decodeImage: InferImageDecoder = decodeInferImage): Batch {
  if (inputs.length !== 1) throw new InferenceError(400, `the model takes one input, '${model.name}'; the request has ${inputs.length}`);
  const [input] = inputs;
  if (input.name !== model.name) throw new InferenceError(400, `the model has no input '${input.name}'; its input is '${model.name}'`);
  const [examples, ...example] = input.shape;
  if (input.datatype === 'FP32' && (example.length !== model.shape.length || example.some((d, i) => d !== model.shape[i]))) {
    throw new InferenceError(400, `input '${input.name}' has shape ${dims(input.shape)}; the model takes ${dims(['N', ...model.shape])} (N from 1 to ${MAX_INFER_BATCH})`);
  }
  if (input.datatype === 'BYTES' && (example.length > 1 || (example.length === 1 && example[0] !== 1))) {
    throw new InferenceError(400, `input '${input.name}' is BYTES of shape ${dims(input.shape)}; images go as [N] or [N, 1], one PNG or JPEG each`);
  }
  if (!(examples >= 1)) throw new InferenceError(400, `input '${input.name}' has shape ${dims(input.shape)}; its first dimension is the batch, from 1 to ${MAX_INFER_BATCH}`);
  if (examples > MAX_INFER_BATCH) throw new InferenceError(400, `input '${input.name}' holds a batch of ${examples}; at most ${MAX_INFER_BATCH} examples go in one request`);
  return input.datatype === 'FP32' ? readFp32(input, model, examples) : readImages(input, model, examples, decodeImage);
}

function readFp32(input: RequestInput, model: ModelInput, examples: number): Batch {
  const elements = flatten(input, examples * model.shape.reduce((a, d) => a * d, 1));
  const values = new Float32Array(elements.length);
  for (let i = 0; i < elements.length; i++) {
    const v = elements[i];
    if (typeof v !== 'number' || !(Math.abs(v) <= FP32_MAX)) throw new InferenceError(400, `input '${input.name}': element ${i} is ${JSON.stringify(v)}, not an FP32 number`);
    values[i] = v;
  }
  return { examples, values };
}

function readImages(input: RequestInput, model: ModelInput, examples: number, decodeImage: InferImageDecoder): Batch {
  if (model.shape.reduce((a, d) => a * d, 1) !== PIXELS) throw new InferenceError(400, `the model takes ${dims(['N', ...model.shape])}, not the ${PIXELS} pixels of an image: send FP32`);
  const encoding = input.parameters?.content_type;
  if (encoding !== undefined && encoding !== 'base64') throw new InferenceError(400, `input '${input.name}': content_type "${encoding}" is not supported; images go base64-encoded ("base64")`);
  const elements = flatten(input, examples);
  const values = new Float32Array(examples * PIXELS);
  for (let i = 0; i < examples; i++) {
    const where = `input '${input.name}' image ${i}`;
    const text = elements[i];
    if (typeof text !== 'string') throw new InferenceError(400, `${where} is ${JSON.stringify(text)}, not a base64 string`);
    const image = decodeBase64Image(text, MAX_INFER_IMAGE_BYTES);
    if ('problem' in image) {
      throw new InferenceError(400, image.problem === 'too_large'
        ? `${where} has ${image.size} bytes; an image in a batch may hold at most ${MAX_INFER_IMAGE_BYTES}`
        : `${where} is ${image.problem === 'empty' ? 'empty' : 'not base64 (send the PNG or JPEG bytes base64-encoded, optionally as a data: URL)'}`);
    }
    try {
      values.set(decodeImage(image.bytes, image.contentType), i * PIXELS);
    } catch (e) {
      const known = e as { status?: unknown; message?: unknown };
      if (typeof known.status === 'number' && known.status >= 400 && known.status < 500) throw new InferenceError(400, `${where}: ${known.message}`);
      throw e;
    }
  }
  return { examples, values };
}

/**
 * The elements of a tensor's data, flat or nested, in order: nested no deeper than its shape's rank,
 * and exactly `count` of them (counted as they are walked, so a long array stops at the first too many).
 */
function flatten(input: RequestInput, count: number): unknown[] {
  const out: unknown[] = [];
  const tooMany = () => new InferenceError(400, `input '${input.name}' holds more than the ${count} elements its shape ${dims(input.shape)} has`);
  const walk = (values: readonly unknown[], depth: number): void => {
    for (const v of values) {
      if (Array.isArray(v)) {
        if (depth + 1 >= input.shape.length) throw new InferenceError(400, `input '${input.name}': its data is nested deeper than its shape ${dims(input.shape)}`);
        walk(v, depth + 1);
      } else {
        if (out.length === count) throw tooMany();
        out.push(v);
      }
    }
  };
  walk(input.data, 0);
  if (out.length !== count) throw new InferenceError(400, `input '${input.name}' holds ${out.length} elements; its shape ${dims(input.shape)} has ${count}`);
  return out;
}

/**
 * The answer's outputs: every output the request names (all of the model's by default), the model's
 * rows as FP32 [N, classes]; with `"classification": k`, the top k classes of each example as BYTES
 * [N, k], `"<probability>:<index>"` highest first (the classification extension, as Triton words it).
 *
 * @example
 * answerOutputs(undefined, 'output', probabilities, 8); // [{ name: 'output', datatype: 'FP32', shape: [8, 10], data }]
 */
export function answerOutputs(requested: readonly RequestOutput[] | undefined, outputName: string, rows: Float32Array, examples: number): ResponseOutput[] {
  const classes = rows.length / examples;
  return (requested ?? [{ name: outputName }]).map((o) => {
    if (o.name !== outputName) throw new InferenceError(400, `the model has no output '${o.name}'; its output is '${outputName}'`);
    const k = o.parameters?.classification;
    if (k === undefined) return { name: o.name, datatype: 'FP32', shape: [examples, classes], data: Array.from(rows) };
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > classes) {
      throw new InferenceError(400, `output '${o.name}': classification must be a whole number from 1 to ${classes}; it is ${JSON.stringify(k)}`);
    }
    const data: string[] = [];
    for (let n = 0; n < examples; n++) {
      const row = rows.subarray(n * classes, (n + 1) * classes);
      const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
      for (const index of order.slice(0, k)) data.push(`${row[index]}:${index}`);
    }
    return { name: o.name, datatype: 'BYTES', shape: [examples, k], data };
  });
}
