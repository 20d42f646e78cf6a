import { plane, type Plane } from '../digit-synth.ts';
import type { PenPoint } from './writer.ts';

/**
 * Draws pen strokes without a browser: each segment is a capsule whose radius goes linearly from
 * one point's width to the next, anti-aliased by exact distance (coverage ramps over one pixel).
 * The training side's renderer; the evaluation sets are drawn by Chromium's canvas instead, so a
 * model never meets the rasteriser it learnt from.
 *
 * @example
 * const ink = drawPen(write(7, writer, random).strokes, { width: 64, height: 64 }, { x: 20, y: 8, height: 48 }, 5);
 */
export function drawPen(strokes: PenPoint[][], size: { width: number; height: number }, box: { x: number; y: number; height: number }, penWidth: number): Plane {
  const out = plane(size.width, size.height);
  const at = (p: PenPoint) => ({ x: box.x + (p.x - 0.5) * box.height, y: box.y + p.y * box.height, r: Math.max(0.35, (penWidth * p.w) / 2) });
  for (const stroke of strokes) {
    const pts = stroke.map(at);
    for (let s = 0; s < Math.max(1, pts.length - 1); s++) {
      const a = pts[s];
      const b = pts[Math.min(s + 1, pts.length - 1)];
      const rmax = Math.max(a.r, b.r);
      const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - rmax - 1));
      const x1 = Math.min(size.width - 1, Math.ceil(Math.max(a.x, b.x) + rmax + 1));
      const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - rmax - 1));
      const y1 = Math.min(size.height - 1, Math.ceil(Math.max(a.y, b.y) + rmax + 1));
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len2 = dx * dx + dy * dy;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / len2));
          const d = Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy));
          const r = a.r + t * (b.r - a.r);
          // A pen thinner than a pixel leaves lighter ink, not a thinner line.
          const c = Math.min(1, Math.max(0, r + 0.5 - d)) * Math.min(1, 2 * r);
          const i = y * size.width + x;
          if (c > out.data[i]) out.data[i] = c;
        }
      }
    }
  }
  return out;
}
