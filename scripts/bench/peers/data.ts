import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The training data every contender of `train-cpu` reads: `<base>.x` (float32, n x 784, pixels in
 * [0, 1]) and `<base>.y` (uint8 labels). Each contender takes the first `examples` images and
 * trains one shuffled pass over them in batches of 64 (the last partial batch dropped).
 */
export function writeBenchData(x: Float32Array, labels: Uint8Array): { base: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
  const base = join(dir, 'mnist');
  writeFileSync(`${base}.x`, x);
  writeFileSync(`${base}.y`, labels);
  return { base, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first n examples of the bench data. */
export function readBenchData(base: string, n: number): { x: Float32Array; labels: Uint8Array } {
  const bytes = readFileSync(`${base}.x`);
  const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + Math.min(bytes.length, n * 784 * 4)));
  const labels = new Uint8Array(readFileSync(`${base}.y`)).subarray(0, n);
  if (x.length !== n * 784 || labels.length !== n) throw new Error(`${base}: fewer than ${n} examples`);
  return { x, labels };
}
