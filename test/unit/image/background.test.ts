import { describe, expect, it } from 'vitest';
import { estimateBackground } from '../../../src/image/background.ts';
import type { GrayImage } from '../../../src/image/gray.ts';
import { Rng } from '../../../src/nn/rng.ts';

/**
 * The estimate's grid by its definition: for each cell, the 256-bin histogram of every pixel in the
 * 3 x 3 cells around it, read straight from the pixels, and its q-quantile bin's centre.
 */
function referenceGrid(img: GrayImage, q: number, cellsPerSide = 12): { grid: number[]; gw: number; gh: number; cell: number } {
  const cell = Math.max(8, Math.ceil(Math.min(img.width, img.height) / cellsPerSide));
  const gw = Math.ceil(img.width / cell);
  const gh = Math.ceil(img.height / cell);
  const grid: number[] = [];
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const counts = new Array<number>(256).fill(0);
      let total = 0;
      for (let y = Math.max(0, (gy - 1) * cell); y < Math.min(img.height, (gy + 2) * cell); y++) {
        for (let x = Math.max(0, (gx - 1) * cell); x < Math.min(img.width, (gx + 2) * cell); x++) {
          const v = img.data[y * img.width + x];
          counts[v <= 0 ? 0 : v >= 1 ? 255 : Math.floor(v * 256)]++;
          total++;
        }
      }
      let seen = 0;
      let b = 0;
      while (b < 255 && seen + counts[b] <= q * total) seen += counts[b++];
      grid.push((b + 0.5) / 256);
    }
  }
  return { grid, gw, gh, cell };
}

function noise(width: number, height: number, seed: number): GrayImage {
  const rng = new Rng(seed);
  const data = new Float32Array(width * height);
  // Paper with a slope of light, and ink in a few blobs; values past 0..1 test the clamping.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = 0.2 + (0.5 * x) / width + 0.1 * rng.normal() + (rng.uniform() < 0.05 ? 0.6 : 0);
  }
  return { width, height, data };
}

describe('estimateBackground', () => {
  it("matches each cell's quantile computed from its window's pixels, over sizes, quantiles and cell counts", () => {
    let checked = 0;
    // Sizes whose cells are odd (9, 17, 19 pixels) have pixels at cell centres inside the image too.
    for (const [w, h] of [[8, 8], [20, 20], [40, 40], [33, 57], [99, 99], [130, 75], [120, 45], [200, 200]]) {
      for (const q of [0, 0.3, 0.5, 0.7, 1]) {
        for (const cells of [4, 12]) {
          const img = noise(w, h, w * 1000 + h + cells);
          const { grid, gw, gh, cell } = referenceGrid(img, q, cells);
          const out = estimateBackground(img, q, cells).data;
          // Where the bilinear interpolation's position falls on a cell centre (or is held at an
          // outer one), the estimate is that cell's value exactly.
          const at = (p: number, n: number) => Math.min(Math.max((p + 0.5) / cell - 0.5, 0), n - 1);
          for (let y = 0; y < h; y++) {
            const ty = at(y, gh);
            if (!Number.isInteger(ty)) continue;
            for (let x = 0; x < w; x++) {
              const tx = at(x, gw);
              if (!Number.isInteger(tx)) continue;
              expect(out[y * w + x]).toBe(grid[ty * gw + tx]);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('is the same everywhere on a uniform image, and follows a slope of light', () => {
    const flat = { width: 60, height: 60, data: new Float32Array(3600).fill(0.6) };
    const est = estimateBackground(flat, 0.5).data;
    for (const v of est) expect(v).toBeCloseTo((Math.floor(0.6 * 256) + 0.5) / 256, 6);
    const slope = { width: 96, height: 48, data: new Float32Array(96 * 48).map((_, i) => 0.1 + 0.8 * ((i % 96) / 95)) };
    const lit = estimateBackground(slope, 0.5).data;
    expect(lit[24 * 96 + 90] - lit[24 * 96 + 6]).toBeGreaterThan(0.5);
  });

  it('keeps the paper under thin ink: strokes on 5% of pixels leave the 0.3-quantile on the paper', () => {
    const img = { width: 64, height: 64, data: new Float32Array(64 * 64).fill(0.1) };
    for (let y = 10; y < 54; y++) for (const x of [20, 21, 40, 41]) img.data[y * 64 + x] = 0.95;
    for (const v of estimateBackground(img, 0.3).data) expect(v).toBeCloseTo((Math.floor(0.1 * 256) + 0.5) / 256, 6);
  });
});
