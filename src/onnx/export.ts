import type { Network } from '../nn/network.ts';
import { emitLayer, type EmitContext } from './layers.ts';
import { floatValueInfo } from './proto.ts';
import { META_SPEC, META_WEIGHTS_SHA256 } from './metadata.ts';
import { specToJson } from './spec-json.ts';
import { sha256Hex } from '../util/sha256.ts';

export const PRODUCER_NAME = 'nutshell';
export const PRODUCER_VERSION = '0.1.0';
/** ONNX IR version 10 with the default domain at opset 21: current, and read by onnxruntime 1.17+. */
export const IR_VERSION = 10;
export const OPSET = 21;
/** Names of the graph's input and output tensors (the batch dimension is symbolic). */
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'output';

export { META_SPEC, META_WEIGHTS_SHA256 };

export interface ExportOptions {
  /** The graph's name (default 'nutshell'). */
  name?: string;
  docString?: string;
  /** Extra metadata (training data, accuracy...), written sorted by key after the exporter's own. */
  metadata?: Record<string, string>;
}

/**
 * Exports a network to ONNX ModelProto bytes: float32 initializers, one node (or two for a
 * masked layer) per layer, dropout left out, input `input` [batch, ...] and output `output`.
 * The exact training-time description (dropout rates, 'same' padding) travels in metadata so
 * that `importOnnx` gives back the same network, and export -> import -> export is byte-stable.
 *
 * @example
 * const bytes = await exportOnnx(net, { metadata: { 'nutshell.test_accuracy': '0.9842' } });
 */
export async function exportOnnx(net: Network, opts: ExportOptions = {}): Promise<Uint8Array> {
  const weights = await net.weights();
  const byName = new Map(weights.map((w) => [w.name, w]));
  const ctx: EmitContext = { nodes: [], initializers: [] };
  let current = INPUT_NAME;
  const specs = net.spec().layers;
  const last = lastEmitting(specs);
  specs.forEach((spec, i) => {
    const layer = net.layers[i];
    const name = net.names[i];
    const tensors = [...layer.params().map((p) => p.name), ...layer.state().map((b) => b.name)].map((n) => byName.get(`${name}.${n}`)!);
    current = emitLayer(spec, name, current, i === last ? OUTPUT_NAME : `${name}.out`, tensors, ctx);
  });
  if (current !== OUTPUT_NAME) {
    // Only dropout layers (or none): the model is the identity.
    ctx.nodes.push(emitIdentity(current));
  }

  const sha = await sha256Hex(ctx.initializers.map((t) => t.rawData));
  const meta: Record<string, string> = { [META_SPEC]: specToJson(net.spec()), [META_WEIGHTS_SHA256]: sha };
  const user = opts.metadata ?? {};
  for (const key of Object.keys(user).sort()) {
    if (key === META_SPEC || key === META_WEIGHTS_SHA256) continue;
    meta[key] = user[key];
  }

  // Loaded here, on the first export, rather than with this module (encode.ts).
  const { encodeModel } = await import('./encode.ts');
  return encodeModel({
    irVersion: BigInt(IR_VERSION),
    opsetImport: [{ domain: '', version: BigInt(OPSET) }],
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    docString: opts.docString ?? '',
    graph: {
      name: opts.name ?? 'nutshell',
      node: ctx.nodes,
      initializer: ctx.initializers,
      input: [floatValueInfo(INPUT_NAME, ['batch', ...net.inputShape])],
      output: [floatValueInfo(OUTPUT_NAME, ['batch', ...net.outputShape])],
    },
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  });
}

function lastEmitting(specs: ReadonlyArray<{ type: string }>): number {
  for (let i = specs.length - 1; i >= 0; i--) if (specs[i].type !== 'dropout') return i;
  return -1;
}

function emitIdentity(input: string) {
  const ctx: EmitContext = { nodes: [], initializers: [] };
  emitLayer({ type: 'activation', fn: 'linear' }, 'identity', input, OUTPUT_NAME, [], ctx);
  return ctx.nodes[0];
}
