import { createRoute, z } from '@hono/zod-openapi';
import { MODEL_NAME } from '../../src/registry/manifest.ts';
import { MAX_INFER_BATCH, MAX_INFER_BYTES, MAX_INFER_IMAGE_BYTES, MAX_INFER_IMAGE_PIXELS } from '../limits.ts';

// The Open Inference Protocol v2, HTTP/REST (the KServe data plane, also spoken by Triton, Seldon
// MLServer and OpenVINO Model Server): its JSON objects as zod schemas, named as the specification
// names them ($inference_request, $metadata_model_response, ...), and its routes under /v2.

/** `{ "error": "message" }`: every /v2 refusal. */
export const InferenceErrorSchema = z.object({ error: z.string().openapi({ description: 'what is wrong' }) }).openapi('InferenceError');

/** `$parameters`: names to strings, numbers or booleans. */
export const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).openapi('InferenceParameters');

/**
 * `$tensor_data`: the elements in row-major order, flat or nested as the shape. Validated by
 * tensors.ts, which walks it no deeper than the shape's rank (a schema that recursed into any
 * nesting would let a request choose the validator's depth).
 */
const TensorData = z.array(z.unknown()).openapi({
  description: 'row-major elements, flat (`[1, 2, 3, 4]`) or nested as the shape (`[[1, 2], [3, 4]]`)',
  items: { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }, { type: 'array' }] },
});

/** The datatypes an input may have: FP32 tensors of the model's input shape, or BYTES images. */
export const INPUT_DATATYPES = ['FP32', 'BYTES'] as const;

/** `$request_input`. */
export const RequestInput = z
  .object({
    name: z.string().openapi({ description: 'the model\'s input (its metadata names it)', example: 'input' }),
    shape: z.array(z.number().int().min(0)).openapi({ description: `FP32: [N, ...the model's input shape]; BYTES: [N] or [N, 1]; N at most ${MAX_INFER_BATCH}`, example: [2, 784] }),
    datatype: z.enum(INPUT_DATATYPES).openapi({
      description:
        `FP32: the tensor itself. BYTES: N PNG or JPEG images, each a base64 string (or a data: URL; \`"parameters": { "content_type": "base64" }\` may say so), ` +
        `preprocessed as POST /v1/predict does; at most ${MAX_INFER_IMAGE_BYTES} bytes and ${MAX_INFER_IMAGE_PIXELS} pixels each.`,
    }),
    parameters: Parameters.optional(),
    data: TensorData,
  })
  .openapi('InferenceRequestInput');

/** `$request_output`, with the classification extension's parameter. */
export const RequestOutput = z
  .object({
    name: z.string().openapi({ example: 'output' }),
    parameters: Parameters.optional().openapi({
      description: '`"classification": k` answers the top k classes of each example instead, as BYTES strings `"<probability>:<index>"`, highest first (the classification extension)',
      example: { classification: 3 },
    }),
  })
  .openapi('InferenceRequestOutput');

/** `$inference_request`. */
export const InferenceRequest = z
  .object({
    id: z.string().optional().openapi({ description: 'echoed in the answer' }),
    parameters: Parameters.optional(),
    inputs: z.array(RequestInput).min(1),
    outputs: z.array(RequestOutput).optional().openapi({ description: 'which outputs to answer, and how; all of them by default' }),
  })
  .openapi('InferenceRequest');

export type InferenceRequest = z.infer<typeof InferenceRequest>;

/** `$response_output`. */
export const ResponseOutput = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().min(0)),
    datatype: z.enum(['FP32', 'BYTES']),
    parameters: Parameters.optional(),
    data: z.array(z.union([z.number(), z.string()])).openapi({ description: 'flat, row-major' }),
  })
  .openapi('InferenceResponseOutput');

/** `$inference_response`. */
export const InferenceResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string().optional(),
    parameters: Parameters.optional(),
    outputs: z.array(ResponseOutput),
  })
  .openapi('InferenceResponse');

/** `$metadata_tensor`. */
const MetadataTensor = z
  .object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int().min(-1)).openapi({ description: '-1: a variable dimension (the batch)' }) })
  .openapi('MetadataTensor');

/** `$metadata_model_response`. */
export const ModelMetadata = z
  .object({
    name: z.string(),
    versions: z.array(z.string()).openapi({ description: 'the versions that may be named in a path (registry versions, and the bundled one)' }),
    platform: z.string().openapi({ example: 'onnx_onnxv1' }),
    inputs: z.array(MetadataTensor),
    outputs: z.array(MetadataTensor),
  })
  .openapi('ModelMetadata');

/** `$metadata_server_response`. */
export const ServerMetadata = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
  .openapi('ServerMetadata');

// --- Routes ---------------------------------------------------------------------------------------

const tags = ['inference protocol v2'];
const errorOf = (description: string) => ({ description, content: { 'application/json': { schema: InferenceErrorSchema } } });
const ok = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A model's name in a path. */
const NameParam = z.string().regex(MODEL_NAME).openapi({ param: { name: 'name', in: 'path' }, example: 'digits' });
/** A version's name in a path: `v1`, `v2`, ... or the bundled one's `bundled-<12 hex>`. */
const VersionParam = z.string().regex(/^(v\d+|bundled-[0-9a-f]{12})$/).openapi({ param: { name: 'version', in: 'path' }, example: 'v3' });

export const ModelPath = z.object({ name: NameParam });
export const VersionPath = z.object({ name: NameParam, version: VersionParam });

export const serverMetadata = createRoute({
  method: 'get', path: '/v2', tags, summary: 'Server metadata',
  responses: { 200: ok(ServerMetadata, 'The server: name, version, extensions') },
});

export const serverLive = createRoute({
  method: 'get', path: '/v2/health/live', tags, summary: 'Server live',
  description: 'The server can receive and answer requests (a Kubernetes livenessProbe).',
  responses: { 200: ok(z.object({ live: z.boolean() }), 'Live') },
});

export const serverReady = createRoute({
  method: 'get', path: '/v2/health/ready', tags, summary: 'Server ready',
  description: 'Every bundled model\'s current version loads (a Kubernetes readinessProbe).',
  responses: { 200: ok(z.object({ ready: z.boolean() }), 'Ready'), 503: ok(z.object({ ready: z.boolean() }), 'Not ready') },
});

const metadataAnswers = { 200: ok(ModelMetadata, 'The model: versions, platform, inputs, outputs'), 404: errorOf('No such model or version') };

export const modelMetadata = createRoute({
  method: 'get', path: '/v2/models/{name}', tags, summary: 'Model metadata (the current version)',
  request: { params: ModelPath }, responses: metadataAnswers,
});

export const versionMetadata = createRoute({
  method: 'get', path: '/v2/models/{name}/versions/{version}', tags, summary: 'Model metadata (one version)',
  request: { params: VersionPath }, responses: metadataAnswers,
});

const readyAnswers = {
  200: ok(z.object({ name: z.string(), ready: z.boolean() }), 'Whether the version\'s bytes are loaded and intact'),
  404: errorOf('No such model or version'),
};

export const modelReady = createRoute({
  method: 'get', path: '/v2/models/{name}/ready', tags, summary: 'Model ready (the current version)',
  request: { params: ModelPath }, responses: readyAnswers,
});

export const versionReady = createRoute({
  method: 'get', path: '/v2/models/{name}/versions/{version}/ready', tags, summary: 'Model ready (one version)',
  request: { params: VersionPath }, responses: readyAnswers,
});

const inferDescription =
  `One input: an FP32 tensor of the model's input shape batched on the first dimension ([N, 784] or [N, 1, 28, 28], as the metadata says), ` +
  `or N PNG/JPEG images as BYTES; N from 1 to ${MAX_INFER_BATCH}; the body at most ${MAX_INFER_BYTES} bytes. ` +
  `The answer holds the model's output, FP32 [N, 10] probabilities, or with the \`classification\` parameter the top k classes as BYTES [N, k].`;

const inferAnswers = {
  200: ok(InferenceResponse, 'The outputs'),
  400: errorOf('A request the protocol or the model cannot take: a body that broke off, malformed JSON, a wrong shape, datatype, input or output name, a batch over the limit, an image that does not decode'),
  404: errorOf('No such model or version'),
  413: errorOf('The body is over the limit'),
  415: errorOf('Not application/json'),
};

export const infer = createRoute({
  method: 'post', path: '/v2/models/{name}/infer', tags, summary: 'Inference (the current version)', description: inferDescription,
  request: { params: ModelPath, body: { required: true, content: { 'application/json': { schema: InferenceRequest } } } },
  responses: inferAnswers,
});

export const versionInfer = createRoute({
  method: 'post', path: '/v2/models/{name}/versions/{version}/infer', tags, summary: 'Inference (one version)', description: inferDescription,
  request: { params: VersionPath, body: { required: true, content: { 'application/json': { schema: InferenceRequest } } } },
  responses: inferAnswers,
});
