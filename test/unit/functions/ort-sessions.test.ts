import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web/wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalOnnxRuntime } from '../../../functions/inference/local-onnxruntime.ts';
import { createOrtEngine, EngineReleasedError, type OrtApi } from '../../../functions/inference/ort-engine.ts';
import { OrtSessions } from '../../../functions/inference/ort-sessions.ts';

// onnxruntime-web's sessions hold their model in its wasm heap, which garbage collection never
// returns: a session dropped from the cache must be released, and only after its runs in flight.
const root = join(import.meta.dirname, '../../..');
const mlp = new Uint8Array(readFileSync(join(root, 'models/digits-mlp.onnx')));
const cnn = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
const input = new Float32Array(784).fill(0.1);

/** onnxruntime-web with every session's release() counted. */
function countingOrt(): { ort: OrtApi; released: () => number } {
  let released = 0;
  const create = (async (...args: Parameters<typeof ortWeb.InferenceSession.create>) => {
    const session = await (ortWeb.InferenceSession.create as (...a: unknown[]) => Promise<ortWeb.InferenceSession>)(...args);
    const release = session.release.bind(session);
    session.release = async () => {
      released++;
      await release();
    };
    return session;
  }) as typeof ortWeb.InferenceSession.create;
  return { ort: { InferenceSession: { ...ortWeb.InferenceSession, create } as typeof ortWeb.InferenceSession, Tensor: ortWeb.Tensor }, released: () => released };
}

describe('onnxruntime sessions: evicted ones are released', () => {
  beforeAll(() => {
    ortWeb.env.wasm.numThreads = 1;
  });

  it('the least recently used beyond the limit is released; asking it afterwards answers "unloaded"', async () => {
    const { ort, released } = countingOrt();
    const runtime = new LocalOnnxRuntime(() => ort, 1);
    await runtime.load('mlp@v1', mlp);
    expect(await runtime.run('mlp@v1', input, 1)).toHaveLength(10);
    await runtime.load('cnn@v1', cnn);
    await new Promise((r) => setTimeout(r, 50));
    expect(released()).toBe(1);
    expect(await runtime.run('mlp@v1', input, 1)).toEqual({ unloaded: true });
    expect(await runtime.run('cnn@v1', input, 1)).toHaveLength(10);
  });

  it('a run in flight finishes before its session is released; a prediction after release throws EngineReleasedError', async () => {
    const { ort, released } = countingOrt();
    const engine = await createOrtEngine(ort, { bytes: cnn, inputShape: [1, 28, 28] });
    const running = engine.predict(new Float32Array(784 * 8).fill(0.1), 8);
    const releasing = engine.release();
    const out = await running;
    expect(out).toHaveLength(80);
    expect(Array.from(out.subarray(0, 10)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await releasing;
    expect(released()).toBe(1);
    await expect(engine.predict(input)).rejects.toBeInstanceOf(EngineReleasedError);
    await engine.release(); // once only
    expect(released()).toBe(1);
  });

  it('OrtSessions keeps the most recently used: one asked for again is not the one dropped', async () => {
    const { ort, released } = countingOrt();
    const sessions = new OrtSessions(() => ort, 2);
    await sessions.load('a', mlp, [784]);
    await sessions.load('b', cnn, [1, 28, 28]);
    await sessions.get('a'); // now b is the least recently used
    await sessions.load('c', mlp, [784]);
    await new Promise((r) => setTimeout(r, 50));
    expect(released()).toBe(1);
    expect(sessions.get('b')).toBeUndefined();
    expect(sessions.get('a')).toBeDefined();
  });
});
