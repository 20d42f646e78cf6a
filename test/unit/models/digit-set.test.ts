import { describe, expect, it } from 'vitest';
import { loadDigitSet, styleGroup } from '../../../scripts/lib/digit-set.ts';
import { decodeImage } from '../../../src/image/index.ts';

// data/digits: the outside-MNIST set models are chosen (dev) and reported (test) on.
const digits = loadDigitSet();

describe('the outside-MNIST digit set (data/digits)', () => {
  it('holds over 5,000 labelled digits, every digit 0-9 about equally, on both sides', () => {
    expect(digits.length).toBeGreaterThanOrEqual(5000);
    for (const split of ['dev', 'test'] as const) {
      const mine = digits.filter((d) => d.split === split);
      expect(mine.length).toBeGreaterThanOrEqual(2500);
      for (let label = 0; label < 10; label++) {
        const share = mine.filter((d) => d.label === label).length / mine.length;
        expect(share, `${split} ${label}`).toBeGreaterThan(0.09);
        expect(share, `${split} ${label}`).toBeLessThan(0.11);
      }
    }
    expect(digits.every((d) => Number.isInteger(d.label) && d.label >= 0 && d.label <= 9)).toBe(true);
  });

  it('never has a writer or a font on both sides of the split', () => {
    const dev = new Set(digits.filter((d) => d.split === 'dev').map((d) => d.writer));
    const test = new Set(digits.filter((d) => d.split === 'test').map((d) => d.writer));
    expect([...dev].filter((w) => test.has(w))).toEqual([]);
    // Hundreds of writers, fonts of both kinds, on each side.
    for (const side of [dev, test]) expect(side.size).toBeGreaterThan(200);
  });

  it('comes from writers, fonts and the fixtures, drawn on canvases and sent on paper, on both sides', () => {
    for (const split of ['dev', 'test'] as const) {
      const mine = digits.filter((d) => d.split === split);
      expect(new Set(mine.map((d) => d.source))).toEqual(new Set(['strokes', 'font', 'fixture']));
      expect(new Set(mine.map((d) => d.style))).toEqual(new Set(['canvas', 'scan', 'scan-jpeg', 'photo', 'inverted']));
      const canvas = mine.filter((d) => styleGroup(d.style) === 'canvas').length / mine.length;
      expect(canvas).toBeGreaterThan(0.35);
      expect(canvas).toBeLessThan(0.6);
      // Every digit's allographs appear (e.g. 1 with and without flag and base, open and closed 4).
      const shapes = new Set(mine.filter((d) => d.source === 'strokes').map((d) => `${d.label} ${d.allograph}`));
      expect(shapes.size).toBeGreaterThanOrEqual(28);
    }
  });

  it('holds images that decode to the size the manifest states, as the content type says', () => {
    for (const d of digits.filter((_, i) => i % 10 === 0)) {
      const r = decodeImage(d.bytes, { contentType: d.contentType });
      expect([r.width, r.height], `${d.split} ${d.offset}`).toEqual([d.width, d.height]);
      if (d.style === 'canvas') expect(r.channels).toBe(4);
    }
  });
});
