import { describe, expect, it } from 'vitest';
import { parsePixelsJson, plainPixels } from '../../../functions/predict/pixels.ts';
import { PixelsBody } from '../../../functions/predict/spec.ts';
import { Rng } from '../../../src/nn/rng.ts';

// The JSON body's one-loop path accepts exactly what its schema accepts as it is, and gives the
// same pixels; everything else goes to the schema, which names the problem.
describe('JSON pixels: the plain path and the schema agree', () => {
  const rng = new Rng(3);
  const valid = () => Array.from({ length: 784 }, () => Math.round(rng.uniform() * 1e4) / 1e4);
  const cases: Array<[string, unknown]> = [
    ['valid', { pixels: valid() }],
    ['zeros and ones', { pixels: Array.from({ length: 784 }, (_, i) => i % 2) }],
    ['negative zero', { pixels: [-0, ...valid().slice(1)] }],
    ['783 pixels', { pixels: valid().slice(1) }],
    ['785 pixels', { pixels: [...valid(), 0] }],
    ['a pixel above 1', { pixels: [1.0001, ...valid().slice(1)] }],
    ['a pixel below 0', { pixels: [...valid().slice(1), -0.01] }],
    ['a pixel as a string', { pixels: ['0.5', ...valid().slice(1)] }],
    ['a null pixel', { pixels: [null, ...valid().slice(1)] }],
    ['a nested array', { pixels: [[0], ...valid().slice(1)] }],
    ['an extra key', { pixels: valid(), label: 3 }],
    ['a misspelt key', { pixel: valid() }],
    ['pixels not an array', { pixels: 'abc' }],
    ['an array body', [valid()]],
    ['null', null],
    ['a number', 7],
    ['a "__proto__" key from JSON', JSON.parse(`{"__proto__": {}, "pixels": ${JSON.stringify(valid())}}`)],
  ];
  it.each(cases)('%s', (_name, value) => {
    const plain = plainPixels(value);
    const parsed = PixelsBody.safeParse(value);
    if (plain) {
      expect(parsed.success).toBe(true);
      expect(Array.from(plain)).toEqual(Array.from(Float32Array.from(parsed.data!.pixels)));
    } else {
      expect(parsed.success, 'the schema accepts what the plain path refused').toBe(false);
    }
  });

  it('a valid body parses through the plain path to the same pixels; an invalid one is a 422 naming the pixel', async () => {
    const pixels = valid();
    expect(Array.from(await parsePixelsJson(new TextEncoder().encode(JSON.stringify({ pixels }))))).toEqual(Array.from(Float32Array.from(pixels)));
    pixels[17] = 2;
    await expect(parsePixelsJson(new TextEncoder().encode(JSON.stringify({ pixels })))).rejects.toThrow(/pixels\[17\]/);
  });
});
