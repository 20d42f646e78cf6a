import { estimateBackground } from './background.ts';
import type { GrayImage } from './gray.ts';
import { Histogram } from './histogram.ts';

/** Which way the ink goes: pen on paper or a canvas is dark on light; chalk, or MNIST itself, light on dark. */
export type Polarity = 'dark-on-light' | 'light-on-dark';

/**
 * Tells dark ink on light paper from light ink on a dark ground. Ink is a minority of pixels lying
 * far from the background on one side, while paper texture and noise spread both ways. So: take
 * out the lighting with a coarse background (medians over windows three quarters of the image
 * wide, which even a large, thick digit cannot dominate), then see which side reaches farther,
 * the darkest or the brightest 0.1% of pixels, or the extremes when ink is rarer than that. Ties
 * go to dark-on-light, the common case.
 *
 * @example
 * detectPolarity(gray); // 'dark-on-light' for a canvas drawing composited over white
 */
export function detectPolarity(gray: GrayImage): Polarity {
  const lighting = estimateBackground(gray, 0.5, 4).data;
  const h = new Histogram(-1, 1, 2048);
  for (let i = 0; i < gray.data.length; i++) h.add(gray.data[i] - lighting[i]);
  for (const tail of [0.001, 0]) {
    const darker = -h.quantile(tail);
    const brighter = h.quantile(1 - tail);
    if (Math.abs(darker - brighter) > 0.05) return darker > brighter ? 'dark-on-light' : 'light-on-dark';
  }
  return 'dark-on-light';
}
