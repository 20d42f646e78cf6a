import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { handwrite, randomHand, type Stroke } from '../../../scripts/lib/digit-strokes.ts';
import {
  bbox,
  canvasRgba,
  centreOfMass,
  correlation,
  drawStrokes,
  enlarge,
  gaussian,
  inkToGray,
  jpegGray,
  paperPhoto,
  place,
  plane,
  pngGray,
  pngRgba,
  rng,
  type Plane,
} from '../../../scripts/lib/digit-synth.ts';
import { imageToMnist, ImageError, MNIST_BOX, MNIST_CENTRE, preprocess, type MnistDigit } from '../../../src/image/index.ts';
import { mnistTestDigits, shiftedCorrelation } from './mnist-data.ts';

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const similar = (a: ArrayLike<number>, b: ArrayLike<number>) => shiftedCorrelation(a, b, correlation);

/** The MNIST shape of an output: longest side of its ink box and its centre of mass. */
function expectMnistShape(d: MnistDigit): void {
  const [, , w, h] = bbox(d.pixels, 28, 0.05);
  expect(Math.max(w, h)).toBeGreaterThanOrEqual(MNIST_BOX - 1);
  expect(Math.max(w, h)).toBeLessThanOrEqual(MNIST_BOX + 1);
  const [cx, cy] = centreOfMass(d.pixels);
  // Whole-pixel moves leave the centre within half a pixel, unless keeping the ink on the field moved it.
  expect(Math.abs(cx - MNIST_CENTRE)).toBeLessThanOrEqual(1);
  expect(Math.abs(cy - MNIST_CENTRE)).toBeLessThanOrEqual(1);
  expect(d.pixels.length).toBe(784);
  expect(d.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
  expect(Math.max(...d.pixels)).toBeGreaterThan(0.9); // the strokes' core reads as full ink
  expect(Array.from(d.gray8)).toEqual(Array.from(d.pixels, (v) => Math.round(v * 255)));
}

/** A hand-drawn digit: strokes in a square box of `size` pixels at (x, y) on a width x height canvas. */
function drawn(strokes: Stroke[], width: number, height: number, size: number, x: number, y: number, pen: number): Plane {
  return drawStrokes(strokes, { width, height }, { x, y, width: size, height: size }, pen);
}

describe('(a) MNIST test digits, enlarged and moved on large canvases, come back as they were', () => {
  // Similarity: Pearson correlation with the original 28 x 28 after the best shift within one pixel
  // (MNIST's own centring moved digits by whole pixels, so a one-pixel offset is not an error).
  const digits = mnistTestDigits(60);
  const random = rng(1);
  const cases = digits.map(({ pixels }, k) => {
    const factor = 3 + random() * 12;
    const big = enlarge({ width: 28, height: 28, data: pixels }, factor);
    const width = Math.round(big.width * (1.2 + random() * 2));
    const height = Math.round(big.height * (1.2 + random() * 2));
    const canvas = place(big, width, height, Math.floor(random() * (width - big.width)), Math.floor(random() * (height - big.height)));
    const kind = (['png', 'jpeg', 'canvas'] as const)[k % 3];
    const bytes =
      kind === 'png' ? pngGray(width, height, inkToGray(canvas)) : kind === 'jpeg' ? jpegGray(width, height, inkToGray(canvas), 75 + Math.floor(random() * 20)) : pngRgba(width, height, canvasRgba(canvas));
    return { original: pixels, kind, bytes, factor };
  });
  let outputs: MnistDigit[] | undefined;
  const processed = () => (outputs ??= cases.map(({ bytes }) => imageToMnist(bytes)));

  it('every digit correlates at least 0.8 with its original, the median at least 0.94', () => {
    const scores = processed().map((d, i) => {
      expectMnistShape(d);
      return similar(d.pixels, cases[i].original);
    });
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0.8);
    expect(median(scores)).toBeGreaterThanOrEqual(0.94);
  });

  it('each output is closer to its own original than to any other of the 60', () => {
    const wrong = processed().filter(({ pixels }, i) => {
      const scores = digits.map((d) => similar(pixels, d.pixels));
      return scores.indexOf(Math.max(...scores)) !== i;
    });
    expect(wrong.length).toBe(0);
  });

  it('takes a 28 x 28 MNIST PNG as it is: exactly the same 784 values', () => {
    for (const { pixels } of digits.slice(0, 10)) {
      const d = imageToMnist(pngGray(28, 28, Uint8Array.from(pixels, (v) => Math.round(v * 255))));
      expect(d.info.passthrough).toBe(true);
      expect(Array.from(d.pixels)).toEqual(Array.from(pixels));
    }
  });

  it('takes a 28 x 28 JPEG, or dark-on-light 28 x 28, with the same meaning', () => {
    for (const { pixels } of digits.slice(0, 10)) {
      const gray = Uint8Array.from(pixels, (v) => Math.round(v * 255));
      const fromJpeg = imageToMnist(jpegGray(28, 28, gray, 95)).pixels;
      expect(correlation(fromJpeg, pixels)).toBeGreaterThan(0.98);
      const inverted = imageToMnist(pngGray(28, 28, gray.map((v) => 255 - v)));
      expect(inverted.info.polarity).toBe('dark-on-light');
      expect(Math.max(...inverted.pixels.map((v, i) => Math.abs(v - pixels[i])))).toBeLessThan(1e-6);
    }
  });

  it('can re-fit a 28 x 28 input when asked', () => {
    const { pixels } = digits[0];
    const d = imageToMnist(pngGray(28, 28, Uint8Array.from(pixels, (v) => Math.round(v * 255))), { keepMnistGeometry: false });
    expect(d.info.passthrough).toBe(false);
    expect(similar(d.pixels, pixels)).toBeGreaterThan(0.9);
  });
});

describe('(b) canvas drawings: transparent background, dark strokes of any width, size and position', () => {
  const random = rng(2);
  const cases = Array.from({ length: 12 }, (_, k) => {
    const label = k % 10;
    const strokes = handwrite(label, randomHand(random), random);
    return { label, strokes, pen: 0.03 + random() * 0.15 };
  });
  /** The same drawing at a canvas size and position: a real canvas's RGBA, ink colour with alpha = coverage. */
  const canvas = ({ strokes, pen }: (typeof cases)[number], width: number, height: number, fx: number, fy: number, color: [number, number, number] = [0, 0, 0]) => {
    const size = Math.min(width, height) * 0.6;
    const ink = drawn(strokes, width, height, size, fx * (width - size), fy * (height - size), pen * size);
    return pngRgba(width, height, canvasRgba(ink, color));
  };

  it('fits each to 20 x 20, centred by mass, whatever the canvas size, position and ink colour', () => {
    for (const [k, c] of cases.entries()) {
      const reference = imageToMnist(canvas(c, 280, 280, 0.5, 0.5)).pixels;
      for (const [w, h, fx, fy, color] of [
        [64, 64, 0, 0, [0, 0, 0]],
        [1000, 700, 1, 0.2, [20, 40, 160]],
        [300, 900, 0.3, 1, [180, 20, 20]],
        [1200, 900, 0.8, 0.7, [60, 60, 60]],
      ] as const) {
        const d = imageToMnist(canvas(c, w, h, fx, fy, [...color]));
        expect(d.info.polarity).toBe('dark-on-light');
        expectMnistShape(d);
        // Same drawing, same digit: size, position and colour do not change what the model sees.
        expect(similar(d.pixels, reference), `case ${k} on ${w} x ${h}`).toBeGreaterThan(0.8);
      }
    }
  });

  it('gives thin pens MNIST-like strokes and leaves thick ones', () => {
    const c = cases[3];
    const width = 800;
    const thin = imageToMnist(pngRgba(width, width, canvasRgba(drawn(c.strokes, width, width, 600, 100, 100, 2)))); // 2 px pen on 600 px
    const thick = imageToMnist(pngRgba(width, width, canvasRgba(drawn(c.strokes, width, width, 600, 100, 100, 90))));
    expect(thin.info.thickenedBy).toBeGreaterThan(0);
    expect(thick.info.thickenedBy).toBe(0);
    expect(thin.info.strokeWidth).toBeGreaterThan(1.5); // MNIST's median is 2
    expect(thick.info.strokeWidth).toBeGreaterThan(1.5);
    expectMnistShape(thin);
  });

  it('reports where the digit is in the input', () => {
    const ink = drawn(cases[0].strokes, 600, 400, 200, 300, 150, 14);
    const d = imageToMnist(pngRgba(600, 400, canvasRgba(ink)));
    const [x, y, w, h] = bbox(ink.data, 600, 0.1);
    expect(d.info.box).toEqual({ x, y, width: w, height: h });
  });
});

describe('(c) inverted images: light ink on a dark ground', () => {
  const random = rng(3);
  it('reads the polarity and gives what the dark-on-light version gives', () => {
    for (let label = 0; label < 10; label++) {
      const strokes = handwrite(label, randomHand(random), random);
      const ink = drawn(strokes, 320, 240, 180, 40 + random() * 90, 20 + random() * 40, 8 + random() * 16);
      const normal = imageToMnist(pngGray(320, 240, inkToGray(ink, 0.95, 0.1)));
      const inverted = imageToMnist(pngGray(320, 240, inkToGray(ink, 0.1 + random() * 0.2, 0.9)));
      const chalk = imageToMnist(jpegGray(320, 240, inkToGray(ink, 0.2, 0.85), 80)); // chalk on a board, as a JPEG
      expect(normal.info.polarity).toBe('dark-on-light');
      expect(inverted.info.polarity).toBe('light-on-dark');
      expect(chalk.info.polarity).toBe('light-on-dark');
      expect(correlation(inverted.pixels, normal.pixels)).toBeGreaterThan(0.97);
      expect(similar(chalk.pixels, normal.pixels)).toBeGreaterThan(0.88);
    }
  });
});

describe('(d) phone photos of paper: lighting gradient, shadow, noise, JPEG', () => {
  const random = rng(4);
  const scenes = [
    { name: 'even light', opts: { gradient: 0.05, shadow: false, noise: 0.01 } },
    { name: 'gradient and shadow', opts: { gradient: 0.3, shadow: true, noise: 0.03 } },
    { name: 'dim and grainy', opts: { paper: 0.6, gradient: 0.35, shadow: true, noise: 0.05, inkLevel: 0.25 } },
  ];

  it.each(scenes)('$name: the same digit as a clean scan', ({ opts }) => {
    for (let label = 0; label < 10; label++) {
      const strokes = handwrite(label, randomHand(random), random);
      const [w, h] = [360 + Math.floor(random() * 200), 300 + Math.floor(random() * 200)];
      const size = 100 + random() * 120;
      const ink = drawn(strokes, w, h, size, 60 + random() * (w - size - 120), 40 + random() * (h - size - 80), size * (0.05 + random() * 0.07));
      const clean = imageToMnist(pngGray(w, h, inkToGray(ink))).pixels;
      const photo = imageToMnist(jpegGray(w, h, paperPhoto(ink, label, opts), 70 + Math.floor(random() * 20)));
      expect(photo.info.polarity).toBe('dark-on-light');
      expectMnistShape(photo);
      expect(similar(photo.pixels, clean), `digit ${label}`).toBeGreaterThan(0.85);
    }
  });

  it('ignores the table around the paper and specks of dust', () => {
    for (let label = 0; label < 10; label++) {
      const strokes = handwrite(label, randomHand(random), random);
      const [w, h] = [640, 480];
      const ink = drawn(strokes, w, h, 200, 220, 140, 14);
      const clean = imageToMnist(pngGray(w, h, inkToGray(ink))).pixels;
      const gray = paperPhoto(ink, label, { gradient: 0.2, noise: 0.02 });
      const table = Math.floor(w * (0.08 + random() * 0.08)); // a dark table shows along the right edge
      const dust = rng(label);
      for (let y = 0; y < h; y++) for (let x = w - table; x < w; x++) gray[y * w + x] = Math.round(40 + 10 * gaussian(dust));
      for (let s = 0; s < 6; s++) {
        const [sx, sy] = [Math.floor(dust() * (w - table - 4)), Math.floor(dust() * (h - 4))];
        if (ink.data[sy * w + sx] === 0) for (const o of [0, 1, w, w + 1]) gray[sy * w + sx + o] = 60;
      }
      const d = imageToMnist(jpegGray(w, h, gray, 80));
      expect(d.info.components.dropped).toBeGreaterThan(0);
      expect(similar(d.pixels, clean), `digit ${label}`).toBeGreaterThan(0.85);
    }
  });

  it('turns a phone photo upright from its EXIF orientation', () => {
    const strokes = handwrite(7, randomHand(random), random);
    const ink = drawn(strokes, 300, 200, 150, 80, 30, 12);
    const upright = imageToMnist(jpegGray(300, 200, inkToGray(ink), 90)).pixels;
    // The sensor stored it turned 90 degrees counter-clockwise; orientation 6 says turn it clockwise.
    const turned = plane(200, 300);
    for (let y = 0; y < 200; y++) for (let x = 0; x < 300; x++) turned.data[(299 - x) * 200 + y] = ink.data[y * 300 + x];
    const rgba = new Uint8Array(200 * 300 * 4);
    inkToGray(turned).forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
    const exif = new Uint8Array([...new TextEncoder().encode('Exif\0\0MM\0*'), 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    const bytes = new Uint8Array(encodeJpeg({ width: 200, height: 300, data: rgba, exifBuffer: exif } as never, 90).data);
    const d = imageToMnist(bytes);
    expect(d.info).toMatchObject({ width: 300, height: 200 });
    expect(correlation(d.pixels, upright)).toBeGreaterThan(0.97);
  });
});

describe('images that hold no digit are refused with 422', () => {
  const [w, h] = [400, 300];
  const random = rng(5);
  const speck = plane(w, h);
  speck.data[150 * w + 200] = speck.data[150 * w + 201] = 1;
  const cases: Record<string, Uint8Array> = {
    'white PNG': pngGray(w, h, new Uint8Array(w * h).fill(255)),
    'mid-gray PNG': pngGray(w, h, new Uint8Array(w * h).fill(128)),
    'fully transparent canvas': pngRgba(w, h, new Uint8Array(w * h * 4)),
    'white strokes on a transparent canvas (invisible on paper)': pngRgba(w, h, canvasRgba(drawn(handwrite(3, randomHand(random), random), w, h, 200, 100, 50, 12), [255, 255, 255])),
    'gaussian noise': pngGray(w, h, Uint8Array.from({ length: w * h }, () => 128 + 30 * gaussian(random))),
    'uniform noise': pngGray(w, h, Uint8Array.from({ length: w * h }, () => random() * 256)),
    'a smooth gradient': pngGray(w, h, Uint8Array.from({ length: w * h }, (_, i) => ((i % w) * 255) / w)),
    'one speck of dust': pngGray(w, h, inkToGray(speck)),
    'a 28 x 28 black square': pngGray(28, 28, new Uint8Array(784)),
    ...Object.fromEntries([0, 1, 2, 3].map((s) => [`a photo of blank paper (${s})`, jpegGray(w, h, paperPhoto(plane(w, h), s, { noise: 0.02 + 0.01 * s, gradient: 0.1 * s }), 80)])),
  };
  it.each(Object.keys(cases))('%s', (name) => {
    expect(() => imageToMnist(cases[name])).toThrow(expect.objectContaining({ status: 422, code: 'no_digit' }));
  });
});

describe('preprocess on raw pixels', () => {
  it('takes a canvas ImageData-like RGBA raster directly', () => {
    const ink = drawStrokes(handwrite(4, randomHand(rng(6)), rng(7)), { width: 200, height: 200 }, { x: 40, y: 30, width: 140, height: 140 }, 10);
    const fromRaster = preprocess({ width: 200, height: 200, channels: 4, data: new Uint8ClampedArray(canvasRgba(ink)) });
    const fromPng = imageToMnist(pngRgba(200, 200, canvasRgba(ink)));
    expect(Array.from(fromRaster.pixels)).toEqual(Array.from(fromPng.pixels));
    expect(fromPng.info.format).toBe('png');
  });

  it('throws ImageError for a raster whose data is shorter than its size', () => {
    expect(() => preprocess({ width: 100, height: 100, channels: 4, data: new Uint8Array(10) })).toThrow(ImageError);
  });
});
