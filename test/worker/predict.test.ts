import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, ORIGIN, predictRequest, SELF } from './helpers.ts';
import { readFixture } from './mnist-fixture.ts';

interface Prediction {
  digit: number;
  probabilities: number[];
  model: { name: string; version: string };
  engine: 'core' | 'onnxruntime';
}

interface ModelListing {
  models: Array<{ name: string; version: string; metrics: Record<string, number> }>;
}

describe('POST /v1/predict with JSON pixels', () => {
  it('classifies all 10,000 MNIST test digits with the accuracy the model states', async () => {
    const mnist = readFixture(env.MNIST_TEST);
    expect(mnist.n).toBe(10_000);
    const listed = (await (await call(new Request(`${ORIGIN}/v1/models`))).json()) as ModelListing;
    const digits = listed.models.find((m) => m.name === 'digits')!;
    const stated = digits.metrics.testAccuracy;
    expect(stated).toBeGreaterThan(0.9);

    // Several requests in flight at once, as a busy isolate sees them.
    const answers: Prediction[] = new Array(mnist.n);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < mnist.n; i = next++) {
          // Let timers run now and then, as they do between a real isolate's requests.
          if (i % 256 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          const res = await call(predictRequest({ pixels: mnist.pixels(i) }));
          if (res.status !== 200) throw new Error(`image ${i}: ${res.status} ${await res.text()}`);
          answers[i] = await res.json();
        }
      }),
    );

    let correct = 0;
    let worstSum = 0;
    for (let i = 0; i < mnist.n; i++) {
      const a = answers[i];
      if (a.digit === mnist.labels[i]) correct++;
      expect(a.model).toEqual({ name: 'digits', version: digits.version });
      expect(a.probabilities).toHaveLength(10);
      expect(a.digit).toBe(a.probabilities.indexOf(Math.max(...a.probabilities)));
      worstSum = Math.max(worstSum, Math.abs(a.probabilities.reduce((s, p) => s + p, 0) - 1));
    }
    expect(worstSum).toBeLessThan(1e-5);
    expect(Math.abs(correct / mnist.n - stated)).toBeLessThanOrEqual(0.005);

    // INFERENCE_ENGINE=core (wrangler.toml): the core answers every one, in this Worker.
    expect(answers.every((a) => a.engine === 'core')).toBe(true);
  });

  it('answers through the service binding too, with CORS', async () => {
    const mnist = readFixture(env.MNIST_TEST);
    const res = await SELF.fetch(`${ORIGIN}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', origin: 'https://example.com' },
      body: JSON.stringify({ pixels: mnist.pixels(0) }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const answer = (await res.json()) as Prediction;
    expect(answer.digit).toBe(mnist.labels[0]);
  });

  it('answers a CORS preflight', async () => {
    const res = await SELF.fetch(`${ORIGIN}/v1/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });
});
