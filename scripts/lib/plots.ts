import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochStats } from '../../src/nn/train.ts';

/** Renders a Vega-Lite specification to an SVG string (headless: no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/**
 * The article's overfitting picture: loss and accuracy per epoch on the training data and on
 * held-out data (validation and test), side by side. Where the curves part, the network has
 * started to learn its training set rather than the task.
 */
const COLOURS: Record<string, string> = { train: '#1f77b4', validation: '#ff7f0e', test: '#2ca02c' };

export function curvesSpec(epochs: readonly EpochStats[], title: string): TopLevelSpec {
  const rows: Array<{ epoch: number; metric: string; set: string; value: number }> = [];
  for (const e of epochs) {
    const add = (metric: string, set: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) rows.push({ epoch: e.epoch, metric, set, value });
    };
    add('loss', 'train', e.trainLoss);
    add('loss', 'validation', e.validationLoss);
    add('loss', 'test', e.testLoss);
    add('accuracy', 'train', e.trainAccuracy);
    add('accuracy', 'validation', e.validationAccuracy);
    add('accuracy', 'test', e.testAccuracy);
  }
  const sets = (['train', 'validation', 'test'] as const).filter((set) => rows.some((r) => r.set === set));
  const panel = (metric: string) => ({
    title: metric === 'loss' ? 'Loss (cross-entropy or squared error)' : 'Accuracy',
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative' as const, scale: metric === 'loss' ? { type: 'log' as const } : { zero: false }, title: metric },
      color: { field: 'set', type: 'nominal' as const, scale: { domain: sets, range: sets.map((s) => COLOURS[s]) } },
    },
    width: 320,
    height: 220,
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    hconcat: [panel('loss'), panel('accuracy')],
  } as TopLevelSpec;
}
