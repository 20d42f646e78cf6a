import { existsSync, readFileSync } from 'node:fs';
import type { NamedTensor, Network } from '../../src/nn/network.ts';
import { Rng } from '../../src/nn/rng.ts';
import { importOnnx } from '../../src/onnx/import.ts';
import {
  answersOf, DEFAULT_GATE, fineTune, flopsWithin, holdOut, judge, ReplayBuffer, scoreOf, toBytes, ValidationShare,
  type Answers, type Comparison, type Example,
} from '../../src/online/index.ts';
import { planFineTune, type FineTunePlan } from '../../src/online/plan.ts';
import { DEFAULT_TRAIN_CPU_BUDGET_MS, HELD_OUT_SHARE, REPLAY_PER_CLASS, TRAIN_FLOPS_PER_CPU_MS, VALIDATION_PER_CLASS } from '../../functions/limits.ts';
import { WRITERS, type WriterName } from '../lib/foreign-writer.ts';
import { loadMnist } from '../lib/mnist.ts';
import { asExamples, balancedIndices, foreignSets, movedMnist, type LabelledPng } from '../lib/online-sets.ts';
import { nodeWasmBackend } from '../lib/wasm-kernels.ts';
import { fixed, table, type BenchContext, type BenchSection } from './section.ts';

/**
 * How online fine-tuning should train, measured as the trainer would run it on development data
 * only (MNIST's training set and synthetic writers; never the test set): 12 deliveries of 50
 * digits of a writer MNIST lacks (scripts/lib/foreign-writer.ts: of its writers, the one the model
 * reads worst) go to the model one round each,
 * each judged by the statistical gate (src/online judge) against its parent and the offline model
 * on an anchor of MNIST training digits and on the validation share the accepted deliveries built;
 * then one delivery of 50 sevens labelled 1. Each recipe (which layers train, learning rate,
 * passes, replay mix) is scored by: deliveries accepted, the writer's accuracy on 1,200 other
 * digits of the same hand, MNIST digits moved and scaled on a canvas (what must not be lost), the
 * poisoned delivery's fate, how many small batches of 10 corrections pass the gate on their own
 * (30 correct ones, which should, and 10 of ones labelled 7, which should not: a recipe's steps must
 * suit a handful of examples too), and the time per round. Rerun it on a new default model: the models are
 * models/digits.onnx (the default), models/digits-mlp.onnx and models/digits-cnn.onnx, or
 * ONLINE_LEARN_MODELS=a.onnx,b.onnx.
 */
export const onlineLearn: BenchSection = {
  name: 'online-learn',
  description: 'online fine-tuning recipes on a foreign writer\'s digits, judged by the gate: deliveries accepted, accuracy learned and kept, poison refused, time per round',
  run,
};

interface Recipe extends Omit<FineTunePlan, 'layers' | 'trainFrom'> {
  name: string;
  /** `head`: from the planned head (the classifier after a convolutional body); `last`: the last dense layer; `all`: every layer. */
  layers: 'all' | 'head' | 'last';
  /** Also measured on convolutional networks (training all of a CNN's layers is slow to measure: few recipes of it). */
  cnn: boolean;
}

const RECIPE = { batchSize: 32, momentum: 0.9 };
const RECIPES: Recipe[] = [
  { name: 'all layers, lr 0.001, 5 passes, 3/4 replay', layers: 'all', lr: 0.001, epochs: 5, replayShare: 0.75, cnn: true, ...RECIPE },
  { name: 'all layers, lr 0.003, 10 passes, 1/2 replay', layers: 'all', lr: 0.003, epochs: 10, replayShare: 0.5, cnn: false, ...RECIPE },
  { name: 'all layers, lr 0.01, 10 passes, 1/2 replay', layers: 'all', lr: 0.01, epochs: 10, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'all layers, lr 0.01, 20 passes, 3/4 replay', layers: 'all', lr: 0.01, epochs: 20, replayShare: 0.75, cnn: false, ...RECIPE },
  { name: 'all layers, lr 0.03, 10 passes, 1/2 replay', layers: 'all', lr: 0.03, epochs: 10, replayShare: 0.5, cnn: false, ...RECIPE },
  { name: 'head, lr 0.001, 20 passes, 1/2 replay', layers: 'head', lr: 0.001, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.003, 5 passes, 1/2 replay', layers: 'head', lr: 0.003, epochs: 5, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.003, 10 passes, 1/2 replay', layers: 'head', lr: 0.003, epochs: 10, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.003, 20 passes, 1/2 replay', layers: 'head', lr: 0.003, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.01, 5 passes, 1/2 replay', layers: 'head', lr: 0.01, epochs: 5, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.01, 10 passes, 1/2 replay', layers: 'head', lr: 0.01, epochs: 10, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.01, 20 passes, 1/2 replay', layers: 'head', lr: 0.01, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'head, lr 0.03, 20 passes, 1/2 replay', layers: 'head', lr: 0.03, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'last layer, lr 0.01, 20 passes, 1/2 replay', layers: 'last', lr: 0.01, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
  { name: 'last layer, lr 0.03, 20 passes, 1/2 replay', layers: 'last', lr: 0.03, epochs: 20, replayShare: 0.5, cnn: true, ...RECIPE },
];

/** The measurement's size, and --quick's (a check that the section works, in about a minute: figures not for quoting). */
const FULL = { deliveries: 12, perDelivery: 50, check: 1200, moved: 1000, anchor: 1000, corrections: 30 };
const QUICK = { deliveries: 3, perDelivery: 20, check: 100, moved: 100, anchor: 200, corrections: 2 };
/** Corrections in one batch of the small-batch check (the trainer's FEEDBACK_BATCH_SIZE in the Worker tests). */
const CORRECTIONS_PER_BATCH = 10;
type Size = typeof FULL;

interface Sets {
  deliveries: Example[][];
  check: { x: Float32Array; labels: Uint8Array };
  moved: { x: Float32Array; labels: Uint8Array };
  anchor: { x: Float32Array; labels: Uint8Array };
  replaySeed: Example[];
  poison: Example[];
  /** Batches of correctly labelled MNIST training digits, as a stream of corrections makes them. */
  corrections: Example[][];
  /** Batches of wrong corrections: MNIST ones labelled 7 (a third as many batches). */
  wrongCorrections: Example[][];
}

/** The sets of each writer (what is sent, what is checked), and those common to all. */
type AllSets = Omit<Sets, 'deliveries' | 'check'> & { writers: Record<WriterName, Pick<Sets, 'deliveries' | 'check'>> };

async function run(ctx: BenchContext): Promise<void> {
  const t0 = performance.now();
  const size = ctx.quick ? QUICK : FULL;
  const all = makeSets(size);
  const writers = Object.keys(all.writers) as WriterName[];
  const first = all.writers[writers[0]];
  ctx.log(`sets: for each of ${writers.length} writers (${writers.join(', ')}) ${first.deliveries.length} deliveries of ${first.deliveries[0].length} digits and ${first.check.labels.length} others to check; ` +
    `${all.moved.labels.length} moved and scaled MNIST training digits, an anchor of ${all.anchor.labels.length} MNIST training digits (${fixed((performance.now() - t0) / 1000, 0)} s to draw and preprocess)`);
  const budget = flopsWithin(DEFAULT_TRAIN_CPU_BUDGET_MS, TRAIN_FLOPS_PER_CPU_MS);
  const files = process.env.ONLINE_LEARN_MODELS?.split(',') ?? ['models/digits.onnx', 'models/digits-mlp.onnx', 'models/digits-cnn.onnx'];
  for (const file of files.filter((f) => existsSync(f))) {
    const bytes = new Uint8Array(readFileSync(file));
    const { network } = await importOnnx(bytes, { backend: await nodeWasmBackend() });
    const planned = planFineTune(network);
    ctx.log(`\n${file}: ${network.layers.length} layers; the trainer's plan: ${planned.layers}, lr ${planned.lr}, ${planned.epochs} passes, ${planned.replayShare} replayed`);
    // The writer this model reads worst: the one there is most to learn from.
    const read = await Promise.all(writers.map(async (name) => ({ name, accuracy: scoreOf(await answersOf(network, all.writers[name].check.x, all.writers[name].check.labels)).accuracy })));
    const worst = read.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    ctx.log(`  it reads ${read.map((r) => `the ${r.name} writer at ${pct(r.accuracy)}`).join(', ')}: taught the ${worst.name} one`);
    const sets: Sets = { ...all, ...all.writers[worst.name] };
    const base = await network.weights();
    const rows: string[][] = [];
    const convolutional = planned.trainFrom > 0;
    /** The writer's accuracy is shown after these many deliveries. */
    const after = [...new Set([1, 3, size.deliveries])].filter((k) => k <= size.deliveries);
    const recipes = RECIPES.filter((r) => (convolutional ? r.cnn : r.layers !== 'head'));
    const planRecipe = recipes.find((r) => r.lr === planned.lr && r.epochs === planned.epochs && (r.layers === 'all') === (planned.trainFrom === 0)) ?? recipes[0];
    for (const recipe of ctx.quick ? [planRecipe] : recipes) {
      const trainFrom = recipe.layers === 'all' ? 0 : recipe.layers === 'last' ? lastDense(network) : planned.trainFrom;
      network.setWeights(base);
      const r = await simulate(network, base, sets, { ...recipe, trainFrom }, budget);
      const small = await smallBatches(network, base, sets.corrections, sets, { ...recipe, trainFrom }, budget);
      const wrong = await smallBatches(network, base, sets.wrongCorrections, sets, { ...recipe, trainFrom }, budget);
      rows.push([
        recipe.name, `${r.accepted}/${size.deliveries}`, pct(r.writer[0]), ...after.map((k) => pct(r.writer[k])),
        pct(r.movedBefore), pct(r.movedAfter), pct(r.anchorAfter), r.poison, `${small}/${sets.corrections.length}`, `${wrong}/${sets.wrongCorrections.length}`, fixed(r.msPerRound, 0),
      ]);
      ctx.log(`  ${recipe.name}: ${r.log}`);
    }
    ctx.log(table(['recipe', 'accepted', 'writer before', ...after.map((k) => `after ${k}`), 'moved MNIST before', 'after', 'anchor after', `poison (${size.perDelivery} sevens as 1)`, `batches of ${CORRECTIONS_PER_BATCH} corrections accepted`, `of ${CORRECTIONS_PER_BATCH} ones as 7`, 'ms/round'], rows));
  }
}

/** 12 rounds of the writer's deliveries, then a poisoned one, as the trainer runs them (one round per delivery). */
async function simulate(net: Network, base: NamedTensor[], sets: Sets, plan: FineTunePlan | (Recipe & { trainFrom: number }), budget: number) {
  const replay = ReplayBuffer.seed(sets.replaySeed, REPLAY_PER_CLASS);
  const share = new ValidationShare(VALIDATION_PER_CLASS);
  const offline = await answersOf(net, sets.anchor.x, sets.anchor.labels);
  const writerNow = async () => scoreOf(await answersOf(net, sets.check.x, sets.check.labels)).accuracy;
  const writer = [await writerNow()];
  const movedBefore = scoreOf(await answersOf(net, sets.moved.x, sets.moved.labels)).accuracy;
  let parent = { weights: base, anchor: offline };
  let accepted = 0;
  let ms = 0;
  const reasons: string[] = [];
  const round = async (examples: Example[], seed: number) => {
    const t = performance.now();
    const { train, held } = holdOut(examples, HELD_OUT_SHARE, seed);
    const shareSet = share.asSet();
    const parentShare = shareSet.labels.length ? await answersOf(net, shareSet.x, shareSet.labels) : null;
    await fineTune(net, train, replay, { ...plan, maxFlops: budget, seed });
    const candidate = await answersOf(net, sets.anchor.x, sets.anchor.labels);
    const comparisons: Comparison[] = [
      compare('anchor', 'parent', parent.anchor, candidate),
      compare('anchor', 'offline', offline, candidate),
    ];
    if (parentShare) comparisons.push(compare('validation', 'parent', parentShare, await answersOf(net, shareSet.x, shareSet.labels)));
    const verdict = judge(comparisons, DEFAULT_GATE);
    ms += performance.now() - t;
    if (verdict.accepted) {
      parent = { weights: await net.weights(), anchor: candidate };
      const rng = new Rng(seed);
      for (const e of share.add(held)) replay.add(e, rng);
      for (const e of train) replay.add(e, rng);
    } else {
      net.setWeights(parent.weights);
      reasons.push(verdict.reason.replace(/ \(McNemar.*$/, ''));
    }
    return verdict;
  };
  for (const [k, d] of sets.deliveries.entries()) {
    if ((await round(d, 1000 + k)).accepted) accepted++;
    writer.push([1, 3, sets.deliveries.length].includes(k + 1) ? await writerNow() : NaN);
  }
  const rejected = [...reasons];
  const movedAfter = scoreOf(await answersOf(net, sets.moved.x, sets.moved.labels)).accuracy;
  const anchorAfter = scoreOf(parent.anchor).accuracy;
  const poisonVerdict = await round(sets.poison, 77);
  const worst = poisonVerdict.checks[0];
  const poison = poisonVerdict.accepted ? `accepted (p ${worst ? worst.p.toExponential(1) : '-'})` : `rejected (p ${worst.p.toExponential(1)}, ${worst.scope === 'all' ? 'all' : `digit ${worst.scope}`})`;
  const log = rejected.length ? `deliveries rejected: ${rejected.join(' | ')}` : `every delivery accepted; the poisoned one: ${poisonVerdict.reason.replace(/ \(McNemar.*$/, '')}`;
  return { accepted, writer, movedBefore, movedAfter, anchorAfter, poison, msPerRound: ms / (sets.deliveries.length + 1), log };
}

/**
 * Small rounds: each batch of corrections trained into the offline model on its own and judged
 * against it; how many were accepted. A recipe whose steps are too large for a handful of
 * examples costs a digit on the anchor even when every label is right; one whose steps are too
 * small lets a batch of wrong labels through.
 */
async function smallBatches(net: Network, base: NamedTensor[], batches: Example[][], sets: Sets, plan: Recipe & { trainFrom: number }, budget: number): Promise<number> {
  net.setWeights(base);
  const offline = await answersOf(net, sets.anchor.x, sets.anchor.labels);
  let accepted = 0;
  for (const [k, batch] of batches.entries()) {
    net.setWeights(base);
    const { train } = holdOut(batch, HELD_OUT_SHARE, 500 + k);
    await fineTune(net, train, ReplayBuffer.seed(sets.replaySeed, REPLAY_PER_CLASS), { ...plan, maxFlops: budget, seed: 500 + k });
    if (judge([compare('anchor', 'parent', offline, await answersOf(net, sets.anchor.x, sets.anchor.labels))], DEFAULT_GATE).accepted) accepted++;
  }
  net.setWeights(base);
  return accepted;
}

function compare(set: Comparison['set'], against: Comparison['against'], reference: Answers, candidate: Answers): Comparison {
  return { set, against, version: against, labels: reference.labels, reference: reference.predicted, candidate: candidate.predicted };
}

function makeSets(size: Size): AllSets {
  const { train: mnist } = loadMnist();
  const asSet = (s: readonly LabelledPng[]) => {
    const x = new Float32Array(s.length * 784);
    s.forEach((d, i) => x.set(d.pixels, i * 784));
    return { x, labels: Uint8Array.from(s, (d) => d.label) };
  };
  const mnistSet = (indices: number[]) => {
    const x = new Float32Array(indices.length * 784);
    indices.forEach((k, i) => x.set(mnist.pixels.subarray(k * 784, (k + 1) * 784), i * 784));
    return { x, labels: Uint8Array.from(indices, (k) => mnist.labels[k]) };
  };
  const mnistExample = (k: number, label = mnist.labels[k]): Example => ({ label, pixels: toBytes(mnist.pixels.subarray(k * 784, (k + 1) * 784)) });
  const sevens: number[] = [];
  for (let k = 40_000; sevens.length < size.perDelivery; k++) if (mnist.labels[k] === 7) sevens.push(k);
  const ones: number[] = [];
  for (let k = 50_000; ones.length < size.corrections * CORRECTIONS_PER_BATCH; k++) if (mnist.labels[k] === 1) ones.push(k);
  const writer = (name: WriterName) => {
    const foreign = foreignSets(size.deliveries * size.perDelivery, size.check, name);
    const examples = asExamples(foreign.train);
    return { deliveries: Array.from({ length: size.deliveries }, (_, k) => examples.slice(k * size.perDelivery, (k + 1) * size.perDelivery)), check: asSet(foreign.check) };
  };
  return {
    writers: Object.fromEntries((Object.keys(WRITERS) as WriterName[]).map((name) => [name, writer(name)])) as AllSets['writers'],
    moved: asSet(movedMnist(mnist, balancedIndices(mnist, size.moved, 56_000), 3)),
    anchor: mnistSet(balancedIndices(mnist, size.anchor, 58_000)),
    replaySeed: balancedIndices(mnist, 1000, 0).map((k) => mnistExample(k)),
    poison: sevens.map((k) => mnistExample(k, 1)),
    corrections: Array.from({ length: size.corrections }, (_, b) => Array.from({ length: CORRECTIONS_PER_BATCH }, (_, i) => mnistExample(45_000 + b * CORRECTIONS_PER_BATCH + i))),
    wrongCorrections: Array.from({ length: Math.ceil(size.corrections / 3) }, (_, b) => ones.slice(b * CORRECTIONS_PER_BATCH, (b + 1) * CORRECTIONS_PER_BATCH).map((k) => mnistExample(k, 7))),
  };
}

/** The index of the last dense layer. */
function lastDense(net: Network): number {
  for (let i = net.layers.length - 1; i >= 0; i--) if (net.layers[i].type === 'dense') return i;
  return 0;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
