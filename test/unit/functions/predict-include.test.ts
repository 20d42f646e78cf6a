import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { PIXELS } from '../../../functions/limits.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { imageToMnist } from '../../../src/image/index.ts';

// `?include=input` on /v1/predict: the pixels the model saw come back only when asked, and they
// are the very pixels that were classified (posting them again as JSON gives the same answer).

const root = join(import.meta.dirname, '../../..');
const model = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes: model }]), engines: new Engines() });
const env = { INFERENCE_ENGINE: 'core' };
const fixture = (name: string) => new Uint8Array(readFileSync(join(root, 'test/fixtures/digits', name)));

interface Answer {
  digit: number;
  probabilities: number[];
  input?: number[];
}

async function post(query: string, body: BodyInit, type: string): Promise<Response> {
  return app.request(`/v1/predict${query}`, { method: 'POST', headers: { 'content-type': type }, body }, env);
}

describe('POST /v1/predict?include=input', () => {
  const png = fixture('212-5-strokes-canvas.png');

  it('leaves the default answer as it was', async () => {
    const answer = (await (await post('', png, 'image/png')).json()) as Answer;
    expect(Object.keys(answer).sort()).toEqual(['digit', 'engine', 'model', 'probabilities']);
  });

  it('returns the preprocessed image the model classified', async () => {
    const res = await post('?include=input', png, 'image/png');
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    const expected = imageToMnist(png, { contentType: 'image/png' });
    expect(answer.input).toHaveLength(PIXELS);
    expect(Float32Array.from(answer.input!)).toEqual(expected.pixels);
    // Classifying those pixels again gives the same probabilities: they are what the model saw.
    const again = (await (await post('', JSON.stringify({ pixels: answer.input }), 'application/json')).json()) as Answer;
    expect(again.probabilities).toEqual(answer.probabilities);
    expect(again.digit).toBe(answer.digit);
  });

  it('echoes JSON pixels as float32, whatever the spelling of the query', async () => {
    const pixels = Array.from({ length: PIXELS }, (_, i) => ((i * 37) % 101) / 100);
    for (const query of ['?include=input', '?include=input,input', '?include=%20input%20&include=']) {
      const answer = (await (await post(query, JSON.stringify({ pixels }), 'application/json')).json()) as Answer;
      expect(answer.input).toEqual(Array.from(Float32Array.from(pixels)));
    }
  });

  it('refuses an unknown part with 400, naming it, before reading the body', async () => {
    const res = await post('?include=input,gray', png, 'image/png');
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_query');
    expect(error.message).toContain('"gray"');
    expect(error.message).toContain('"input"');
  });
});
