import { imageToMnist, preprocess } from '../../../src/image/index.ts';
import { rng, type Plane } from '../digit-synth.ts';
import { capture, type PaperStyle } from './capture.ts';
import { drawPen } from './raster.ts';
import { randomWriter, write } from './writer.ts';

/**
 * Synthetic handwritten digits for training, as model inputs: writers of their own (a seed stream
 * that data/digits never uses), each writing every digit once, drawn by the TypeScript rasteriser
 * (not the browser canvas the evaluation set comes from), sent as a canvas, a scan, a photo or light
 * on dark, and preprocessed exactly as the Worker does.
 *
 * @example
 * const { pixels, labels } = syntheticDigits(20000, 1); // 20,000 x 784 floats, and their digits
 */
export function syntheticDigits(n: number, seed: number): { pixels: Float32Array; labels: Uint8Array } {
  // A stream of its own: the evaluation set's generator is seeded with a date, never with this mix.
  const random = rng(0x7a11_0000 + seed * 7919);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const pixels = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  let writer = randomWriter('train-0', random);
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) writer = randomWriter(`train-${i / 10}`, random);
    const label = i % 10;
    const side = between(32, 80);
    const width = Math.round(side * between(0.8, 1.25));
    const height = Math.round(side * between(0.8, 1.25));
    const size = Math.min(width, height) * between(0.4, 0.85);
    const turn = (between(-8, 8) * Math.PI) / 180;
    const { strokes } = write(label, writer, random);
    const [c, s] = [Math.cos(turn), Math.sin(turn)];
    const turned = strokes.map((st) => st.map((p) => ({ x: 0.5 + c * (p.x - 0.5) - s * (p.y - 0.5), y: 0.5 + s * (p.x - 0.5) + c * (p.y - 0.5), w: p.w })));
    const ink = drawPen(turned, { width, height }, { x: width / 2 + between(-0.1, 0.1) * width, y: (height - size) / 2, height: size }, Math.max(1, writer.pen.width * size));
    const u = random();
    const style: 'canvas' | PaperStyle = u < 0.5 ? 'canvas' : u < 0.7 ? 'scan' : u < 0.85 ? 'photo' : u < 0.93 ? 'scan-jpeg' : 'inverted';
    labels[i] = label;
    try {
      pixels.set(style === 'canvas' ? preprocess(canvasRaster(ink)).pixels : imageToMnist(capture(ink, style, random).bytes).pixels, i * 784);
    } catch {
      // A digit the preprocessing cannot find (a hairline lost in a photo's noise) trains as a clean canvas.
      pixels.set(preprocess(canvasRaster(ink)).pixels, i * 784);
    }
  }
  return { pixels, labels };
}

/** The ink as a browser canvas gives it: black, alpha = coverage, transparent elsewhere. */
function canvasRaster(ink: Plane) {
  const data = new Uint8Array(ink.width * ink.height * 4);
  for (let i = 0; i < ink.data.length; i++) data[i * 4 + 3] = Math.round(255 * ink.data[i]);
  return { width: ink.width, height: ink.height, channels: 4 as const, data };
}
