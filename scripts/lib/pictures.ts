import { contours } from 'd3-contour';
import { encode } from 'fast-png';
import type { TopLevelSpec } from 'vega-lite';
import { LinearNeuron } from '../../src/nn/neuron.ts';

/** Vega-Lite specifications for the pictures of training (rendered by `renderSvg`). */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Confusion matrix as a heat map: rows the true digit, columns the prediction, counts written in. */
export function confusionSpec(matrix: number[][], title: string): TopLevelSpec {
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ true: t, predicted: p, count, off: t !== p && count > 0 })));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: 360,
    height: 360,
    encoding: {
      x: { field: 'predicted', type: 'ordinal', axis: { orient: 'top', labelAngle: 0 } },
      y: { field: 'true', type: 'ordinal' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, legend: null } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.count > 300', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** A grayscale image (values in [0, 1]) as a PNG data URI; `invert` draws ink dark on white. */
export function pngDataUri(values: ArrayLike<number>, width: number, height: number, invert = true): string {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, values[i])));
    data[i] = invert ? 255 - v : v;
  }
  return `data:image/png;base64,${Buffer.from(encode({ width, height, data, channels: 1 })).toString('base64')}`;
}

/** A grid of small images with a caption under each. */
export function imageGridSpec(
  items: Array<{ uri: string; caption: string }>, columns: number, title: string, size = 56,
): TopLevelSpec {
  const values = items.map((it, i) => ({ ...it, col: i % columns, row: Math.floor(i / columns) }));
  const rows = Math.ceil(items.length / columns);
  const cell = size + 18;
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: columns * cell,
    height: rows * cell,
    encoding: {
      x: { field: 'col', type: 'quantitative', scale: { domain: [-0.5, columns - 0.5] }, axis: null },
      y: { field: 'row', type: 'quantitative', scale: { domain: [rows - 0.5, -0.5] }, axis: null },
    },
    layer: [
      { mark: { type: 'image', width: size, height: size, aspect: false, smooth: false }, encoding: { url: { field: 'uri', type: 'nominal' } } },
      { mark: { type: 'text', dy: size / 2 + 8, fontSize: 9 }, encoding: { text: { field: 'caption', type: 'nominal' } } },
    ],
    config: { view: { stroke: null } },
  } as TopLevelSpec;
}

/**
 * The article's error surface: a linear neuron with two weights (the price of a burger and of
 * fries), its squared error over a few meals as a quadratic bowl drawn by contours, and the path
 * gradient descent takes from the same start with a small and a too-large learning rate.
 */
export function errorSurfaceSpec(): TopLevelSpec {
  const prices = [3, 1.5];
  const meals = [
    [2, 1], [1, 3], [3, 2], [1, 1], [2, 4], [4, 1],
  ].map((x) => ({ x, t: x[0] * prices[0] + x[1] * prices[1] }));
  const error = (w: number[]) => meals.reduce((e, { x, t }) => e + 0.5 * (t - w[0] * x[0] - w[1] * x[1]) ** 2, 0);

  // Largest curvature of the bowl: the top eigenvalue of sum(x x^T), the learning rate's limit.
  let a = 0, b = 0, c = 0;
  for (const { x } of meals) {
    a += x[0] * x[0];
    b += x[0] * x[1];
    c += x[1] * x[1];
  }
  const lambdaMax = (a + c) / 2 + Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const [w0, w1, h0, h1] = [-1, 6, -2.5, 5];
  const nx = 140, ny = 150;
  const grid = new Array<number>(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) grid[j * nx + i] = error([w0 + ((w1 - w0) * i) / (nx - 1), h0 + ((h1 - h0) * j) / (ny - 1)]);
  const levels = [0.5, 2, 5, 10, 20, 40, 80, 150, 250, 400];
  const shapes = contours().size([nx, ny]).thresholds(levels)(grid).map((m) => ({
    type: 'Feature',
    properties: { level: m.value },
    geometry: { ...m, coordinates: m.coordinates.map((poly) => poly.map((ring) => ring.map(([i, j]) => [w0 + ((w1 - w0) * i) / (nx - 1), h0 + ((h1 - h0) * j) / (ny - 1)]))) },
  }));

  const path = (lr: number, label: string, steps: number) => {
    const n = new LinearNeuron(2);
    n.weights[0] = -0.5;
    n.weights[1] = 4.5;
    const points = [{ w1: n.weights[0], w2: n.weights[1], step: 0, path: label }];
    for (let s = 1; s <= steps; s++) {
      n.deltaRule(meals, lr);
      if (n.weights.some((v) => Math.abs(v) > 50)) break;
      points.push({ w1: n.weights[0], w2: n.weights[1], step: s, path: label });
    }
    return points;
  };
  const small = 0.3 / lambdaMax;
  const large = 2.2 / lambdaMax;
  const points = [
    ...path(small, `learning rate ${small.toFixed(4)} (small)`, 60),
    ...path(large, `learning rate ${large.toFixed(4)} (too large: diverges)`, 20),
  ].filter((p) => p.w1 >= w0 && p.w1 <= w1 && p.w2 >= h0 && p.w2 <= h1);

  const projection = { type: 'identity', reflectY: true } as const;
  return {
    $schema: SCHEMA,
    title: { text: 'Squared error of a linear neuron with two weights', subtitle: `minimum at the true prices (${prices.join(', ')}); gradient descent from (-0.5, 4.5)` },
    width: 420,
    height: 420,
    projection,
    layer: [
      {
        data: { values: shapes },
        mark: { type: 'geoshape', filled: false, strokeWidth: 1 },
        encoding: { color: { field: 'properties.level', type: 'quantitative', scale: { type: 'log', scheme: 'viridis' }, title: 'E' } },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          longitude: { field: 'w1', type: 'quantitative' },
          latitude: { field: 'w2', type: 'quantitative' },
          order: { field: 'step' },
          color: { field: 'path', type: 'nominal', scale: { range: ['#d62728', '#ff7f0e'] }, legend: { orient: 'bottom', title: null, labelLimit: 400, direction: 'vertical' } },
        },
      },
      {
        data: { values: [{ w1: prices[0], w2: prices[1] }] },
        mark: { type: 'point', shape: 'cross', size: 120, color: 'black', filled: true },
        encoding: { longitude: { field: 'w1', type: 'quantitative' }, latitude: { field: 'w2', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
