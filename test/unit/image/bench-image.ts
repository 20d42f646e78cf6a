/**
 * Times image preprocessing (not a test: run it by hand). Medians of repeated runs, each next to
 * the bare decoder on the same input in the same run, as a ratio.
 *   npx tsx test/unit/image/bench-image.ts
 */
import { decode as decodePng } from 'fast-png';
import { decode as decodeJpeg } from 'jpeg-js';
import { handwrite, randomHand } from '../../../scripts/lib/digit-strokes.ts';
import { canvasRgba, drawStrokes, inkToGray, jpegGray, paperPhoto, pngGray, pngRgba, rng } from '../../../scripts/lib/digit-synth.ts';
import { decodeImage, imageToMnist, preprocess, toGray, WORK_MAX_SIDE } from '../../../src/image/index.ts';
import { mnistTestDigits } from './mnist-data.ts';

function median(fn: () => unknown, runs: number): number {
  for (let i = 0; i < Math.min(5, runs); i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[t.length >> 1];
}
const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(1)} ms`);

const digit = mnistTestDigits(1)[0].pixels;
const mnistPng = pngGray(28, 28, Uint8Array.from(digit, (v) => Math.round(v * 255)));
const random = rng(1);
const strokes = handwrite(5, randomHand(random), random);
const canvasPng = pngRgba(280, 280, canvasRgba(drawStrokes(strokes, { width: 280, height: 280 }, { x: 40, y: 30, width: 200, height: 200 }, 18)));
console.log('building a 4000 x 3000 phone photo (JPEG)...');
const ink = drawStrokes(strokes, { width: 4000, height: 3000 }, { x: 1400, y: 700, width: 1500, height: 1500 }, 90);
const photoJpeg = jpegGray(4000, 3000, paperPhoto(ink, 1, { gradient: 0.25, noise: 0.02 }), 85);
void inkToGray;

const rows: Array<[string, number, number, string]> = [];
const add = (name: string, ms: number, base: number, baseName: string) => rows.push([name, ms, ms / base, baseName]);
{
  const base = median(() => decodePng(mnistPng), 2000);
  add('28 x 28 MNIST PNG, imageToMnist (kept as is)', median(() => imageToMnist(mnistPng), 2000), base, 'fast-png decode');
  add('28 x 28 MNIST PNG, imageToMnist (re-fitted)', median(() => imageToMnist(mnistPng, { keepMnistGeometry: false }), 2000), base, 'fast-png decode');
}
{
  const base = median(() => decodePng(canvasPng), 200);
  add('280 x 280 canvas RGBA PNG, imageToMnist', median(() => imageToMnist(canvasPng), 200), base, 'fast-png decode');
}
{
  const base = median(() => decodeJpeg(photoJpeg, { useTArray: true, formatAsRGBA: false }), 5);
  add('4000 x 3000 photo JPEG, imageToMnist', median(() => imageToMnist(photoJpeg), 5), base, 'jpeg-js decode');
  const raster = decodeImage(photoJpeg);
  add('  of which decodeImage (header walk + jpeg-js)', median(() => decodeImage(photoJpeg), 5), base, 'jpeg-js decode');
  add(`  of which toGray (to ${WORK_MAX_SIDE} px, area average)`, median(() => toGray(raster, WORK_MAX_SIDE), 5), base, 'jpeg-js decode');
  add('  of which preprocess (toGray + finding the digit)', median(() => preprocess(raster), 5), base, 'jpeg-js decode');
  const before = process.memoryUsage();
  decodeImage(photoJpeg);
  const after = process.memoryUsage();
  console.log(`JPEG bytes: ${(photoJpeg.length / 1e6).toFixed(2)} MB; memory after one decode: +${((after.heapUsed - before.heapUsed) / 1e6).toFixed(0)} MB heap, +${((after.arrayBuffers - before.arrayBuffers) / 1e6).toFixed(0)} MB array buffers (not yet collected)`);
}
console.log('\nmedian time                                           ratio to baseline');
for (const [name, ms, ratio, base] of rows) console.log(`${name.padEnd(52)} ${fmt(ms).padStart(9)}   ${ratio.toFixed(2)} x ${base}`);
