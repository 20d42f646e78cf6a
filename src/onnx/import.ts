import { layerFromSpec, type LayerSpec } from '../nn/layers/index.ts';
import { Network, type NetworkOptions, type NetworkSpec } from '../nn/network.ts';
import { sha256Hex } from '../util/sha256.ts';
import { META_SPEC, META_WEIGHTS_SHA256 } from './metadata.ts';
import { Initializers, recognise, type LayerWeights } from './layers.ts';
import { DataType, OnnxError, valueShape } from './proto.ts';
import { canonicalInference, specFromJson } from './spec-json.ts';
import { decodeModel, enumName, type OnnxModel, type OnnxNode, type OnnxTensor } from './wire.ts';

export interface ImportedModel {
  network: Network;
  /** The model's metadata_props. */
  metadata: Record<string, string>;
  producer: { name: string; version: string };
}

/** Largest model file accepted (bytes): far above any MNIST model, far below a Worker's memory. */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/**
 * Reads ONNX bytes back into a core network that can be evaluated and fine-tuned. Accepts the
 * exporter's own models and the same layers as other exporters write them; anything the core
 * cannot represent is refused with an OnnxError naming the operator. Given the OnnxModel that
 * parseModel made of the bytes (read here, never changed), it does not parse them again.
 *
 * @example
 * const { network, metadata } = await importOnnx(bytes);
 */
export async function importOnnx(source: Uint8Array | OnnxModel, opts: NetworkOptions = {}): Promise<ImportedModel> {
  const model = source instanceof Uint8Array ? parseModel(source) : source;
  const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
  const { spec, weights } = describe(model);
  const declared = specFromJson(metadata[META_SPEC] ?? '');
  const finalSpec = declared && canonicalInference(declared) === canonicalInference(spec) ? restore(declared, spec) : spec;

  const recorded = metadata[META_WEIGHTS_SHA256];
  if (recorded && (await sha256Hex(model.graph!.initializer.map((t) => t.rawData))) !== recorded) {
    throw new OnnxError('the weights do not match the sha256 recorded in the model: the file is corrupt');
  }

  // The spec comes from the file (its graph, and its metadata for dropout and padding): one the core
  // cannot build (a dropout rate of 2 in forged metadata) is a bad model, not a failure of the caller.
  let network: Network;
  try {
    network = new Network(finalSpec, { init: 'zeros', ...opts });
  } catch (e) {
    throw new OnnxError(`the network the model describes cannot be built: ${(e as Error).message}`);
  }
  // weights[] follows the non-dropout layers in order.
  let k = 0;
  network.layers.forEach((layer) => {
    if (layer.type === 'dropout') return;
    const tensors = [...layer.params().map((p) => p.value), ...layer.state().map((b) => b.value)];
    const given = weights[k++];
    tensors.forEach((t, j) => network.backend.write(t, given[j]));
  });
  return { network, metadata, producer: { name: model.producerName, version: model.producerVersion } };
}

/** Decodes and sanity-checks the protobuf envelope. */
export function parseModel(bytes: Uint8Array): OnnxModel {
  if (bytes.length > MAX_MODEL_BYTES) throw new OnnxError(`model of ${bytes.length} bytes exceeds the ${MAX_MODEL_BYTES}-byte limit`);
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new OnnxError(`not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  if (!model.graph || !model.graph.node.length) throw new OnnxError('not an ONNX model: no graph or no nodes');
  for (const op of model.opsetImport) {
    if (op.domain !== '' && op.domain !== 'ai.onnx') throw new OnnxError(`operator set '${op.domain}' is not supported (only the default ONNX domain)`);
  }
  return model;
}

/** Walks the graph's node chain from its input to its output, recognising layers. */
function describe(model: OnnxModel): { spec: NetworkSpec; weights: LayerWeights[] } {
  const g = model.graph!;
  const inits = new Map<string, OnnxTensor>(g.initializer.map((t) => [t.name, t]));
  const nodes: OnnxNode[] = [];
  for (const n of g.node) {
    if (n.domain && n.domain !== 'ai.onnx') throw new OnnxError(`operator '${n.opType}' of domain '${n.domain}' is not supported`);
    if (n.opType === 'Constant') {
      const a = n.attribute.find((x) => x.name === 'value');
      if (!a?.t) throw new OnnxError(`Constant node '${n.name}' without a tensor value is not supported`);
      inits.set(n.output[0], { ...a.t, name: n.output[0] });
      continue;
    }
    nodes.push(n);
  }
  const inputs = g.input.filter((v) => !inits.has(v.name));
  if (inputs.length !== 1) throw new OnnxError(`the graph must have exactly one input, it has ${inputs.length}`);
  if (g.output.length !== 1) throw new OnnxError(`the graph must have exactly one output, it has ${g.output.length}`);
  const { elemType, shape } = valueShape(inputs[0]);
  if (elemType !== DataType.FLOAT) throw new OnnxError(`the graph input must be float32 (type ${enumName(DataType, elemType) ?? elemType})`);
  if (shape.length < 2 || shape.slice(1).some((d) => d < 1)) {
    throw new OnnxError(`the graph input must be [batch, ...fixed dimensions], got [${shape.map((d) => (d < 0 ? '?' : d))}]`);
  }

  const table = new Initializers(inits);
  const layers: LayerSpec[] = [];
  const weights: LayerWeights[] = [];
  let current = inputs[0].name;
  let perExample = shape.slice(1);
  for (let i = 0; i < nodes.length; ) {
    const r = recognise(nodes, i, current, perExample, table);
    for (const l of r.layers) {
      layers.push(l.spec);
      weights.push(l.weights);
      perExample = shapeAfter(l.spec, perExample, layers.length - 1);
    }
    i += r.consumed;
    current = r.output;
  }
  if (current !== g.output[0].name) throw new OnnxError(`the node chain ends in '${current}', not in the graph output '${g.output[0].name}'`);
  if (!layers.length) throw new OnnxError('the graph holds no layers');
  return { spec: { input: shape.slice(1), layers }, weights };
}

/** The per-example output shape of a layer, by the core's own shape rules (no weights allocated). */
function shapeAfter(spec: LayerSpec, input: number[], index: number): number[] {
  try {
    return layerFromSpec(spec).outputShapeFor(input);
  } catch (e) {
    throw new OnnxError(`layer ${index} (${spec.type}) does not fit its input [${input}]: ${(e as Error).message}`);
  }
}

/** Dropout layers and 'same' padding come from the declared spec; masks from the graph. */
function restore(declared: NetworkSpec, fromGraph: NetworkSpec): NetworkSpec {
  const graphLayers = fromGraph.layers;
  let k = 0;
  const layers = declared.layers.map((l): LayerSpec => {
    if (l.type === 'dropout') return l;
    const g = graphLayers[k++];
    if (l.type === 'dense') return g;
    return l;
  });
  return { input: declared.input, layers };
}
