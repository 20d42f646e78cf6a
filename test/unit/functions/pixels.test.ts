import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parsePixelsJson, plainPixels } from '../../../functions/predict/pixels.ts';
import { PixelsBody } from '../../../functions/predict/pixels-body.ts';
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
    const parsed = v.safeParse(PixelsBody, value);
    if (plain) {
      expect(parsed.success).toBe(true);
      expect(Array.from(plain)).toEqual(Array.from(Float32Array.from((parsed.output as { pixels: number[] }).pixels)));
    } else {
      expect(parsed.success, 'the schema accepts what the plain path refused').toBe(false);
    }
  });

  it('a valid body parses through the plain path to the same pixels; an invalid one is a 422 naming the pixel', async () => {
    const pixels = valid();
    expect(Array.from(await parsePixelsJson(new TextEncoder().encode(JSON.stringify({ pixels }))))).toEqual(Array.from(Float32Array.from(pixels)));
    pixels[17] = 2;
    await expect(parsePixelsJson(new TextEncoder().encode(JSON.stringify({ pixels })))).rejects.toThrow(/pixels\[17\]: expected a number <= 1, received 2/);
  });

  it('names each problem where it is, and the count of those it leaves out', async () => {
    const refusal = async (value: unknown) => {
      try {
        await parsePixelsJson(new TextEncoder().encode(JSON.stringify(value)));
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    const head = 'expected { "pixels": [784 numbers in 0..1] }; ';
    expect(await refusal({ pixels: ['0.5', ...valid().slice(1)] })).toBe(`${head}pixels[0]: expected number, received "0.5"`);
    expect(await refusal({ pixels: [...valid().slice(1), -0.01] })).toBe(`${head}pixels[783]: expected a number >= 0, received -0.01`);
    expect(await refusal({ pixels: valid().slice(1) })).toBe(`${head}pixels: expected 784 numbers, received 783`);
    expect(await refusal({ pixels: 'abc' })).toBe(`${head}pixels: expected an array of 784 numbers, received "abc"`);
    expect(await refusal({ pixels: valid(), label: 3 })).toBe(`${head}label: unknown key`);
    expect(await refusal({ pixel: valid() })).toBe(`${head}pixels: required; pixel: unknown key`);
    expect(await refusal([1])).toBe(`${head}body: expected an object, received Array`);
    expect(await refusal({ pixels: new Array(784).fill(null) })).toBe(`${head}${[0, 1, 2, 3, 4].map((i) => `pixels[${i}]: expected number, received null`).join('; ')} (and 779 more)`);
  });
});
