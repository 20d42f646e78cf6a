import type { GrayImage } from './gray.ts';
import { Histogram } from './histogram.ts';

/** Which way the ink goes: pen on paper or a canvas is dark on light; chalk, or MNIST itself, light on dark. */
export type Polarity = 'dark-on-light' | 'light-on-dark';

/**
 * Tells dark ink on light paper from light ink on a dark ground. The background is read from the
 * image's border ring (its median: a digit seldom covers half the border, even when it is large and
 * thick or tightly cropped), and the ink is whichever side reaches farther from it: the darkest or
 * the brightest 0.1% of pixels, or the extremes when ink is rarer than that. Ties go to
 * dark-on-light, the common case.
 *
 * @example
 * detectPolarity(gray); // 'dark-on-light' for a canvas drawing composited over white
 */
export function detectPolarity(gray: GrayImage): Polarity {
  const { width: w, height: h, data } = gray;
  const ring = Math.max(1, Math.round(0.02 * Math.min(w, h)));
  const border = new Histogram(0, 1, 1024);
  const all = new Histogram(0, 1, 1024).addAll(data);
  for (let y = 0; y < h; y++) {
    const inner = y >= ring && y < h - ring;
    for (let x = 0; x < w; x += inner && x === ring - 1 ? w - 2 * ring + 1 : 1) border.add(data[y * w + x]);
  }
  const background = border.quantile(0.5);
  for (const tail of [0.001, 0]) {
    const darker = background - all.quantile(tail);
    const brighter = all.quantile(1 - tail) - background;
    if (Math.abs(darker - brighter) > 0.05) return darker > brighter ? 'dark-on-light' : 'light-on-dark';
  }
  return 'dark-on-light';
}
